// The shared storage suite against the scale-out profile with blobs in a shared directory.
import { conditionSuite } from './condition-suite.ts';
import { rangeSuite } from './range-suite.ts';
import { storeSuite } from './store-suite.ts';
import { pgFactory } from './pg-suite.ts';

storeSuite('postgres+dir', pgFactory('dir'));
rangeSuite('postgres+dir', pgFactory('dir'));
conditionSuite('postgres+dir', pgFactory('dir'));
