import { describeModuleSystems } from '@threadline/testing/bridge-suite';

describeModuleSystems('winston', new URL('./fixtures/', import.meta.url));
