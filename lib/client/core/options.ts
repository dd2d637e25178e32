/**
 * Resolution of client options: explicit values, else libpaf's environment variables, else defaults. The
 * environment is an argument (the shell passes `process.env`).
 *
 * @example
 * resolveOptions({ reconnectMax: 1 }, { PAF_IDLE_MAX: '10' }).idleMax; // 10
 */
import { IDLE_FLOOR } from './liveness';
import type { ClientOptions } from './types';

/** Every option with its value in seconds (or a count). */
export interface ResolvedOptions {
  readonly reconnectMin: number;
  readonly reconnectMax: number;
  readonly idleMin: number;
  readonly idleMax: number;
  readonly rescanInterval: number;
  readonly maxInFlight: number;
  readonly ttl: number;
  readonly requestTimeout: number;
}

/** Environment variables as the shell sees them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const fromEnv = (env: Environment, name: string): number | undefined => {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const v = Number(text);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
};

/** Fill in defaults: reconnect 0.01–5 s, idle 4–30 s (floor 1), rescan 5 s, 32 in flight, TTL 30 s, requests 10 s. */
export const resolveOptions = (o: ClientOptions, env: Environment): ResolvedOptions => {
  const reconnectMin = o.reconnectMin ?? fromEnv(env, 'PAF_RECONNECT_MIN') ?? 0.01;
  const idleMin = Math.max(IDLE_FLOOR, o.idleMin ?? fromEnv(env, 'PAF_IDLE_MIN') ?? 4);
  return {
    reconnectMin,
    reconnectMax: Math.max(reconnectMin, o.reconnectMax ?? fromEnv(env, 'PAF_RECONNECT_MAX') ?? 5),
    idleMin,
    idleMax: Math.max(idleMin, o.idleMax ?? fromEnv(env, 'PAF_IDLE_MAX') ?? 30),
    rescanInterval: o.rescanInterval ?? fromEnv(env, 'PAF_RESCAN') ?? 5,
    maxInFlight: Math.max(1, o.maxInFlight ?? 32),
    ttl: o.ttl ?? fromEnv(env, 'PAF_TTL') ?? 30,
    requestTimeout: o.requestTimeout ?? 10,
  };
};
