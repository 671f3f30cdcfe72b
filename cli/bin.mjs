#!/usr/bin/env node
// The `ittmon` command: runs the TypeScript sources directly through tsx.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run that it will want Node 22 from 2027; Lambda runs 22 already.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
