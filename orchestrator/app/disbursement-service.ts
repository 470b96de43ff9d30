/** The DisbursementService the northbound APIs use, backed by the engine (which owns the store). */
import type { Engine } from '../engine/engine';
import type { DisbursementService } from './service';

export function createDisbursementService(engine: Engine): DisbursementService {
  return {
    submitBatch: (cmd) => engine.submit(cmd),
    getBatch: (id) => engine.getBatch(id),
    findBatchBySourceKey: (source, key) => engine.findBatchBySourceKey(source, key),
    findBatchByTransaction: (senderId, transactionId) => engine.findBatchByTransaction(senderId, transactionId),
    listBatches: (query) => engine.listBatches(query),
    listPayments: (id, query) => engine.listPayments(id, query),
    iteratePayments: (id) => engine.iteratePayments(id),
    findPaymentsByReference: (id, refs) => engine.findPaymentsByReference(id, refs),
    cancelBatch: (id) => engine.cancelBatch(id),
    resumeBatch: (id) => engine.resumeBatch(id),
    waitForBatch: (id, timeoutMs, statuses) => engine.waitForBatch(id, timeoutMs, statuses),
    subscribe: (listener) => engine.subscribe(listener),
  };
}
