// Platform tags for one (runtime, architecture) target: the manylinux ladder pip and the
// wheel-tag checks share. Pure: no I/O.
import {
  MANYLINUX_FIRST_GLIBC_MINOR,
  WHEEL_ARCH,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'

/** Legacy manylinux names and the glibc minor each stands for (PEP 600). */
export const LEGACY_MANYLINUX: Readonly<Record<string, number>> = {
  manylinux1: 5,
  manylinux2010: 12,
  manylinux2014: 17
}

export interface PlatformOptions {
  /**
   * Admit `linux_<arch>` wheels (allow-linux-wheels): unknown builds, last in the ladder so a
   * manylinux wheel of the same version still wins. The verify phase holds their binaries to
   * the runtime's glibc and libraries.
   */
  allowLinuxWheels?: boolean
}

/**
 * The manylinux ladder pip needs, newest first: every `manylinux_2_<N>_<arch>` down to
 * `manylinux_2_17_<arch>`, then `manylinux2014_<arch>` (and `linux_<arch>` when allowed). pip
 * takes `--platform` literally: `manylinux_2_28_x86_64` alone admits nothing older, so the
 * whole ladder must be passed.
 */
export function platformTags(
  runtime: RuntimeFacts,
  architecture: Architecture,
  options: PlatformOptions = {}
): string[] {
  const arch = WHEEL_ARCH[architecture]
  const tags: string[] = []
  for (let minor = runtime.glibcMinor; minor >= MANYLINUX_FIRST_GLIBC_MINOR; minor--) {
    tags.push(`manylinux_2_${minor}_${arch}`)
  }
  tags.push(`manylinux2014_${arch}`)
  if (options.allowLinuxWheels === true) tags.push(`linux_${arch}`)
  return tags
}
