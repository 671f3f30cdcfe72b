import { objectFromEnv, runTask } from './task.ts';

// The container's entry point: exit 0 when the object is stored, 1 (Step Functions retries) otherwise.
try {
  await runTask(objectFromEnv());
} catch (e) {
  console.error(JSON.stringify({ level: 'ERROR', message: 'large object failed', error: (e as Error).message }));
  process.exitCode = 1;
}
