// What earlier jobs leave beside the wheel store on this runner, to save later builds work: the
// import check's unpacked tree and its .pyc files, compiled bytecode, the last import timings.
// A content hash cannot tell a planted file from a good one (the planter writes the hash too),
// so whether a build may read them depends on who else could have written them.

/**
 * Always in `mode: build` (a gate ships nothing), and in `mode: deploy` only on GitHub-hosted
 * runners, whose tool cache belongs to this job alone. A deploy on any other runner reads none of
 * them: it unpacks into a private temporary folder and compiles afresh.
 */
export function trustsKeptFiles(
  mode: 'build' | 'deploy',
  env: Readonly<Record<string, string | undefined>> = process.env
): boolean {
  return mode === 'build' || env.RUNNER_ENVIRONMENT === 'github-hosted'
}
