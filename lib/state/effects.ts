/**
 * Outputs of the reducer, as data: the shell interprets them (send a message, close a socket, switch TCP
 * keepalive, publish a directory change to observers, log).
 */
import type { ServerMessage } from '../codec/messages';
import type { ConnId, Service } from './model';

/** A change of one service (§7.8): the "before" and "after" records. */
export type DirectoryChange =
  | { readonly kind: 'added'; readonly after: Service }
  | { readonly kind: 'modified'; readonly before: Service; readonly after: Service }
  | { readonly kind: 'removed'; readonly before: Service };

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export type Effect =
  | { readonly type: 'send'; readonly conn: ConnId; readonly msg: ServerMessage }
  | { readonly type: 'close'; readonly conn: ConnId; readonly reason: string }
  | { readonly type: 'keepalive'; readonly conn: ConnId; readonly on: boolean }
  | { readonly type: 'change'; readonly change: DirectoryChange }
  | {
      readonly type: 'log';
      readonly level: LogLevel;
      readonly category: 'security' | 'protocol' | 'core';
      readonly msg: string;
      readonly fields?: Readonly<Record<string, string | number | bigint | boolean | undefined>>;
    };
