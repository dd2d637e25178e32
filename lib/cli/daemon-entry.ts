/** The rxpafd binary: the daemon with its extensions (event recording, `rxpafd replay`). */
import { main as daemonMain } from './daemon-main';

export const main = (): void => daemonMain({});
