// Reads process figures from /proc (Linux): resident memory, its peak, CPU time, and child processes.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), as bytes; undefined once the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const status = readText(`/proc/${pid}/status`);
  const match = status?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : undefined;
}

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name is in parentheses and may contain spaces: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(0) ppid(1) ... utime(11) stime(12).
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
  };
}

/** User plus system CPU seconds the process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  return readStat(pid)?.cpuSeconds ?? 0;
}

/** The process and all its descendants (e.g. tsx's launcher and the node process it starts). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = parents.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    parents.set(stat.ppid, siblings);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return tree;
}

/** The process's command line, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
}

/** CPU seconds the whole machine has been busy (all processes, any namespace), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readText('/proc/stat')?.split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** CPU seconds of several processes together. */
export function totalCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

export function machineInfo(): { nproc: number; memoryBytes: number; cpuModel: string; node: string } {
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  const meminfo = readText('/proc/meminfo') ?? '';
  const models = [...cpuinfo.matchAll(/^model name\s*:\s*(.*)$/gm)].map((m) => m[1]);
  const memKb = meminfo.match(/^MemTotal:\s+(\d+) kB/m);
  return {
    nproc: availableParallelism(),
    memoryBytes: memKb ? Number(memKb[1]) * 1024 : 0,
    cpuModel: models[0] ?? 'unknown',
    node: process.version,
  };
}

/** CPU seconds of the process's children that have exited and been waited for (cutime + cstime). */
export function reapedChildrenCpuSeconds(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: ... utime(11) stime(12) cutime(13) cstime(14).
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}
