// The Step Functions commands the replay code uses, re-exported from an ES module of our own: the
// CLI's build splits dynamic imports into chunks, and a chunk made straight from the SDK's CommonJS
// would expose only `default`, not the named commands.
export { DescribeExecutionCommand, DescribeMapRunCommand, ListExecutionsCommand, ListMapRunsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
