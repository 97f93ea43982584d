import { execFileSync } from 'child_process';
import { readdirSync, readFileSync, readlinkSync } from 'fs';

/*
 * Where a benchmark's CPU goes, per process, on one Linux machine: the service (found by the
 * port it listens on), MariaDB or MySQL, Redis, and this process (the load generator). Read
 * from /proc before and after a phase, so a phase's CPU per request says which process bounds
 * it. Elsewhere (not Linux, or a service on another host) nothing is found and nothing printed.
 */

export type CpuSnapshot = Map<string, number>;

const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU of a process so far, in ms (0 if it is gone). */
function cpuMsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function pids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** The process that owns the socket listening on `port` (IPv4 or IPv6, any address). */
function listenerOf(port: number): number | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[1]?.endsWith(hexPort) && cols[3] === '0A') inodes.add(cols[9]); // 0A: LISTEN
      }
    } catch {
      /* not Linux */
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (inodes.has(link.slice('socket:['.length, -1))) return pid;
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return undefined;
}

function byCommand(names: string[]): number[] {
  return pids().filter((pid) => {
    try {
      return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
}

/** The local processes a benchmark of the service at `baseUrl` can account for, by role. */
export function benchProcesses(baseUrl: string): Map<string, number[]> {
  const url = new URL(baseUrl);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const roles = new Map<string, number[]>();
  const service = local ? listenerOf(Number(url.port || 80)) : undefined;
  if (service === undefined) return roles; // without the service the rest says little
  roles.set('service', [service]);
  roles.set('mariadb', byCommand(['mariadbd', 'mysqld']));
  roles.set('redis', byCommand(['redis-server']));
  return roles;
}

export function snapshot(roles: Map<string, number[]>): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const [role, list] of roles)
    snap.set(
      role,
      list.reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    );
  const own = process.cpuUsage();
  snap.set('load generator', (own.user + own.system) / 1000);
  return snap;
}

/** "service 1041 µs, mariadb 356 µs, …" of CPU per request between two snapshots; '' if nothing was found. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): string {
  if (!before.has('service') || requests === 0) return '';
  const parts = [...after].map(
    ([role, ms]) => `${role} ${Math.round(((ms - (before.get(role) ?? 0)) * 1000) / requests)}`,
  );
  return `CPU µs per request: ${parts.join(', ')}`;
}
