/**
 * One writer per data directory: `<dataDir>/LOCK` holds {pid, host, startedAt} of the process that owns it,
 * created exclusively (O_EXCL). A second process finds it and refuses to start, naming the holder. A lock left by a
 * dead process on this host (its pid no longer runs, or it is this process's own pid without this process holding
 * it, as after a container restart) is stale: it is moved aside atomically (only one contender's rename succeeds)
 * and taken. A lock from another host cannot be checked from here: it is never taken over.
 */
import { hostname } from 'node:os';
import { openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** The data directory is in use by another process. */
export class DataDirLockedError extends UserError {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(readonly dataDir: string, readonly holder: LockHolder | undefined, readonly lockFile: string) {
    super(holder
      ? `data directory ${dataDir} is in use by pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}`
      : `data directory ${dataDir} is locked (${lockFile} is unreadable)`,
    holder && holder.host === hostname()
      ? 'stop that orchestrator first, or give this one another --data-dir (two writers on one directory could pay twice)'
      : `a lock from another host (or unreadable) is never taken over: remove ${lockFile} only if no orchestrator uses this directory`);
    this.name = 'DataDirLockedError';
  }
}

/** Lock files this process holds (an in-process restart releases before it takes again). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  readonly file: string;
  /** What was taken over, if the lock was stale. */
  readonly tookOver?: LockHolder;
  release(): void;
}

/** Takes the data directory's lock or throws DataDirLockedError. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'LOCK');
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let tookOver: LockHolder | undefined;
  for (let tries = 0; tries < 5; tries++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      held.add(file);
      return {
        file, tookOver,
        release: () => {
          if (!held.delete(file)) return;
          if (readHolder(file)?.pid === me.pid && readHolder(file)?.startedAt === me.startedAt) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    const stale = holder !== undefined && holder.host === me.host && (holder.pid === process.pid ? !held.has(file) : !alive(holder.pid));
    if (!stale) {
      // A lock just being written (created, not yet filled) reads as unreadable: look again before refusing.
      if (holder === undefined && tries < 4) continue;
      throw new DataDirLockedError(dataDir, holder, file);
    }
    try {
      renameSync(file, `${file}.stale-${holder.pid}-${process.pid}`);
      tookOver = holder;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another contender moved it first
    }
  }
  throw new DataDirLockedError(dataDir, readHolder(file), file);
}
