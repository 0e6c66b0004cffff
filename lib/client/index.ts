export { createClient, IMAGES_PATH, type ClientOptions, type LogOptions, type NewImage, type SwarmletClient } from './client.js';
export { ApiError, ConnectionError, isApiError, isNotFound } from './api-error.js';
export { DEFAULT_HOST, normalizeHost } from './host.js';
export type { ClientTlsOptions } from './tls-dispatcher.js';
export { encodeFilters, mergeFilters, type Filters } from './filters.js';
export { decodeLogFrame, decodeLogStream, encodeFrame, FrameDecoder, parseDetails, type LogFrame, type LogRecord } from '../protocol/log-frames.js';
export type { PingResult, SwarmInfo, SystemInfo, SystemVersion } from './system-info.js';
