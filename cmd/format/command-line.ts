/** Moved to lib/model (the library splits `cmd: 'node server.js'` too). */
export { splitCommandLine, joinCommandLine } from '../../lib/model/command-line.js';
