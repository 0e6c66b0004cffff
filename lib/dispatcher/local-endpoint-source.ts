import type { EndpointSource } from '../../gateway/endpoint-table.js';
import type { EndpointFeed } from './endpoint-feed.js';

/** An in-process gateway's EndpointSource: subscribing also joins the drain barrier. */
export function localEndpointSource(feed: EndpointFeed, gatewayId: string): EndpointSource {
  return {
    subscribe(onTable) {
      const leave = feed.register(gatewayId);
      const unsubscribe = feed.subscribe(onTable);
      return () => { unsubscribe(); leave(); };
    },
    ack: (id, version) => feed.ack(id, version),
  };
}
