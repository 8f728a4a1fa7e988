// onnxruntime's WebGPU backend (Dawn) needs a Vulkan loader on Linux. Without one it fails anyway, after
// printing a native warning to stderr; looking for the loader first keeps the fallback to CPU quiet.

import { existsSync } from 'node:fs';

const LINUX_LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib'];

/** Why WebGPU cannot work here, or null when it is worth trying. */
export function webgpuUnavailableReason(): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LINUX_LIBRARY_DIRS];
  if (dirs.some((dir) => existsSync(`${dir}/libvulkan.so.1`))) return null;
  return 'no Vulkan driver (libvulkan.so.1) is installed';
}
