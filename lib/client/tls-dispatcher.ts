/** TLS for the manager's clients (CLI client, node agents, gateways): which CA to trust. */
import { Agent } from 'undici';

/** Client-side TLS: `ca` is PEM text (the CLI reads `--tlscacert FILE`); without it the system CAs are trusted. */
export interface ClientTlsOptions {
  ca?: string;
}

/**
 * An undici dispatcher that trusts `tls.ca` for https origins, or undefined (the global dispatcher,
 * system CAs) when there is nothing to configure. The caller closes it.
 */
export function createTlsDispatcher(tls: ClientTlsOptions | undefined): Agent | undefined {
  if (tls?.ca === undefined) return undefined;
  return new Agent({ connect: { ca: tls.ca } });
}

/** `{ authorization: 'Bearer …' }` for a token, or no header. */
export function bearerHeader(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
