export { catalogue, errorCodes, type ErrorCode } from './catalogue.js';
export { porticoError, hasPorticoCode, type PorticoErrorOptions } from './porticoError.js';
