// The shared storage suite against the scale-out profile (PostgreSQL, blobs in blob_chunks).
import { storeSuite } from './store-suite.ts';
import { pgFactory } from './pg-suite.ts';

storeSuite('postgres', pgFactory('postgres'));
