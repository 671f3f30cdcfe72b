// Runs a bundled handler the way the Lambda Node.js runtime does: import the module that _HANDLER
// names from LAMBDA_TASK_ROOT (init phase), then call its export once per event with a context
// (invoke phase), in one process, as a warm container would. Imports nothing but Node itself.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [, , eventsFile, resultsFile] = process.argv;
const env = process.env;
const results = [];
const save = () => writeFileSync(resultsFile, JSON.stringify(results));
const failure = (phase, e) => {
  const f = { phase, ok: false, errorType: e?.name ?? 'Error', errorMessage: String(e?.message ?? e), stack: String(e?.stack ?? '') };
  // What the runtime writes to the function's log: type, message and stack, nothing else of the error.
  console.error(`ERROR\t${phase === 'init' ? 'Init' : 'Invoke'} Error \t${JSON.stringify({ errorType: f.errorType, errorMessage: f.errorMessage, stack: f.stack.split('\n') })}`);
  return f;
};

const dot = env._HANDLER.lastIndexOf('.');
const [moduleName, exportName] = [env._HANDLER.slice(0, dot), env._HANDLER.slice(dot + 1)];
let handler;
try {
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(env.LAMBDA_TASK_ROOT, moduleName + ext)).find((f) => existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${moduleName}' in ${env.LAMBDA_TASK_ROOT}`), { name: 'Runtime.ImportModuleError' });
  handler = (await import(pathToFileURL(file).href))[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${env._HANDLER} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
} catch (e) {
  results.push(failure('init', e));
  save();
  process.exit(1);
}

for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const deadline = Date.now() + Number(env.ITTMON_TEST_TIMEOUT_S) * 1000;
  const context = {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST', memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    invokedFunctionArn: env.ITTMON_TEST_FUNCTION_ARN, awsRequestId: randomUUID(), logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME, logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    results.push({ phase: 'invoke', ok: true, value: (await handler(event, context)) ?? null });
  } catch (e) {
    results.push(failure('invoke', e));
  }
}
save();
process.exit(0);
