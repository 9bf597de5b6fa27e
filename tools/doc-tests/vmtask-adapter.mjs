// Loaded with `node --import` by the doc test only while the built facade still returns Promise<VMTask>: gives the
// examples the VMTask<T> form the READMEs document (returned synchronously, `on` for progress, awaiting it gives the
// disk or rejects with the VpcError). Delete this file once the facade returns tasks itself.
import { VirtualPC } from '@vhdkit/vpc-api';

for (const name of ['createDifferencingVirtualHardDisk', 'createDynamicVirtualHardDisk', 'createFixedVirtualHardDisk']) {
  const original = VirtualPC.prototype[name];
  VirtualPC.prototype[name] = function adaptedToTaskForm(...args) {
    const accepted = original.apply(this, args);
    // A real promise of the disk, with the task's `on` and an `accepted` promise added.
    const task = Object.assign(
      accepted.then((created) => created.completion),
      {
        accepted: accepted.then(() => undefined).catch(() => undefined),
        on(event, listener) {
          accepted.then((created) => created.on(event, listener), () => undefined);
          return task;
        },
      },
    );
    return task;
  };
}
