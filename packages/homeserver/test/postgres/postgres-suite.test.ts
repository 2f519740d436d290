// The shared storage suite against the scale-out profile (PostgreSQL, blobs in blob_chunks).
import { conditionSuite } from './condition-suite.ts';
import { rangeSuite } from './range-suite.ts';
import { storeSuite } from './store-suite.ts';
import { pgFactory } from './pg-suite.ts';

storeSuite('postgres', pgFactory('postgres'));
rangeSuite('postgres', pgFactory('postgres'));
conditionSuite('postgres', pgFactory('postgres'));
