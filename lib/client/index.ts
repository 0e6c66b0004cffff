/**
 * `swarmlet/client`: a swarmlet manager over HTTP. `connect()` gives the same interface as the
 * in-process cluster of `createCluster` (SwarmletClient); `createClient()` is the lower-level
 * Engine-API client the CLI uses.
 */
export { connect, type ConnectOptions, type RemoteSwarmlet } from './connect.js';
export type { SwarmletClient, LogsOptions, WaitOptions } from './swarmlet-client.js';
export type { LogRecord } from '../model/log-record.js';
export type { NodeUpdate } from '../model/node-update.js';
export type { ServiceOptions, Duration } from '../model/service-options.js';
export type { ServiceUpdateOptions } from '../model/apply-update-options.js';
export type { ImageOptions, ImageInput } from '../model/image-options.js';
export type { EventsOptions } from '../events/events.js';
export type { EventTimeInput } from '../events/event-time.js';
export type { EventMessage, EventActor, EventType, EventAction } from '../events/event-message.js';
export type * from '../model/types.js';
export { SwarmletError, isSwarmletError, type ErrorCode } from '../errors.js';
export { createClient, IMAGES_PATH, type ClientOptions, type LogOptions, type NewImage, type EngineClient } from './client.js';
export { ApiError, ConnectionError, isApiError, isNotFound } from './api-error.js';
export { DEFAULT_HOST, normalizeHost } from './host.js';
export type { ClientTlsOptions } from './tls-dispatcher.js';
export { encodeFilters, mergeFilters, type Filters } from './filters.js';
export { decodeLogFrame, decodeLogStream, encodeFrame, FrameDecoder, parseDetails, type LogFrame, type WireLogLine } from '../protocol/log-frames.js';
export type { PingResult, SwarmInfo, SystemInfo, SystemVersion } from './system-info.js';
