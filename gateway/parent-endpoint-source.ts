/**
 * The EndpointSource of a gateway child process fed by its parent (createGatewayProcess): it asks
 * for the tables when the gateway subscribes, gets each one as a 'table' message, and sends its
 * acks back as 'ack' messages (the parent forwards them to the manager's drain barrier). If the
 * parent stops or dies nothing new arrives, and the gateway keeps routing by the last table.
 */
import process from 'node:process';
import type { EndpointSource } from './endpoint-table.js';
import type { EndpointTable } from '../lib/protocol/endpoint-table.js';
import type { FromWorker, ToWorker } from './worker-config.js';

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

export function parentEndpointSource(): EndpointSource {
  return {
    subscribe(onTable) {
      const onMessage = (m: ToWorker): void => {
        if (m?.swarmlet === 'table') onTable(m.table);
      };
      process.on('message', onMessage);
      send({ swarmlet: 'subscribe' });
      return () => { process.off('message', onMessage); };
    },
    ack: (_gatewayId, version) => send({ swarmlet: 'ack', version }),
  };
}
