import { arch, availableParallelism, platform, totalmem } from 'node:os';
import type { NodeReport } from '../protocol/node-report.js';
import { SWARMLET_VERSION } from '../version.js';

/** `docker node ls`' ENGINE VERSION: a version number, as Docker's engines report theirs. */
export const ENGINE_VERSION = SWARMLET_VERSION;

/** Docker's architecture names (uname -m), from Node's. */
const ARCHITECTURES: Record<string, string> = {
  x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
};

/** This machine as a node describes itself to its manager: platform, resources, engine and task driver. */
export function describeHost(driver: string): NodeReport {
  const os = platform();
  return {
    Platform: { OS: os === 'win32' ? 'windows' : os, Architecture: ARCHITECTURES[arch()] ?? arch() },
    Resources: { NanoCPUs: availableParallelism() * 1e9, MemoryBytes: totalmem() },
    Engine: { EngineVersion: ENGINE_VERSION },
    Driver: driver,
  };
}
