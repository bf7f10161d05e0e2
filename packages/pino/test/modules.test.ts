import { describeModuleSystems } from '@threadline/testing/bridge-suite';

describeModuleSystems('pino', new URL('./fixtures/', import.meta.url));
