// The shared storage suite against the scale-out profile with blobs in a shared directory.
import { storeSuite } from './store-suite.ts';
import { pgFactory } from './pg-suite.ts';

storeSuite('postgres+dir', pgFactory('dir'));
