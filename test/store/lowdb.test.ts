import type { RecordStore } from '../../src/onboarding/ports.ts';
import { Store } from '../../src/store/store.ts';
import { tempDataFile } from '../helpers/records.ts';
import { describeRecordStoreContract } from './contract.ts';

describeRecordStoreContract(
  'lowdb Store',
  () => Store.open(tempDataFile()),
  async (store: RecordStore) => {
    await store.close();
    return Store.open((store as Store).file);
  },
);
