// What every function reads from its environment, with no AWS SDK import: a function that loads its
// clients on first use (the review API) takes these without loading every client runtime.ts makes.

/** What a function needs from its environment, read once per container. */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the CDK stack sets it)`);
  return value;
}

/** S3 client options: path-style addressing where a loopback S3 in tests needs it. */
export const s3Options = () => ({ forcePathStyle: process.env.ITTMON_S3_PATH_STYLE === 'true' });
