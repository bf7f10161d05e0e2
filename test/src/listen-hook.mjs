// Loaded with --import into each README program that test/readme and
// test/packaging run (see listen.ts): a server a README starts on a fixed
// port (3000, 3001, 4318) listens on a free one instead, so that the
// programs run beside each other and beside other tests, and the test is
// told which (over the IPC channel of fork()).
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnAFreePort(...args) {
  let asked;
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    asked = Number(args[0]);
    args[0] = 0;
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined) {
    asked = Number(args[0].port);
    args[0] = { ...args[0], port: 0 };
  }
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') {
      process.send?.({ listening: asked, port: address.port });
    }
  });
  return listen.apply(this, args);
};
