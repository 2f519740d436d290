export { bookmarkId, hashId, parseTimestampId, tagId, timestampId, HASH_ID_LENGTH, TIMESTAMP_ID_LENGTH } from './ids.ts';
export { MAX_RECORD_BYTES, parseAppPath, parsePubkyUri, tagLabelProblem, validateAppRecord, type Validation } from './validate.ts';
export { PubkyAppWriter, type NewPost, type Written } from './writer.ts';
export {
  POST_KINDS,
  PUBKY_APP_ROOT,
  type AppBookmark,
  type AppFile,
  type AppFollow,
  type AppLastRead,
  type AppMute,
  type AppPath,
  type AppPost,
  type AppRecord,
  type AppTag,
  type AppUser,
  type PostKind,
  type UserLink,
} from './records.ts';
