export {
  Facility,
  codeOf,
  facilityOf,
  formatHresult,
  hresultFromWin32,
  isCustomer,
  isFailure,
  isSuccess,
  severityOf,
  toUnsignedHresult,
} from './hresult.js';
export type { Severity } from './hresult.js';
export { CANCELLATION_NAME } from './codes.js';
export type { HresultName, HresultSource } from './codes.js';
export { LANGUAGES } from './messages.js';
export type { Language, LocalizedText } from './messages.js';
export { HRESULTS, catalogue, isHresultName, lookupByName, lookupByValue, messageFor } from './catalogue.js';
export type { HresultEntry } from './catalogue.js';
export { VpcError, isVpcError } from './vpc-error.js';
export type { VpcErrorJson, VpcErrorOptions } from './vpc-error.js';
export {
  ERRNO_TO_HRESULT_NAME,
  UNEXPECTED_ERROR_NAME,
  entryForErrno,
  hresultFromErrno,
  isMappedErrno,
  vpcErrorFromNodeError,
} from './errno.js';
export type { MappedErrno, NodeErrorOptions } from './errno.js';
