// Preloaded by the bench runner with `node --import`: every server that is
// told to listen on a port without a host listens on 127.0.0.1 instead of
// all interfaces. Portkey's build/start-server.js calls
// server.listen(port, undefined, cb) (through @hono/node-server) and has no
// host option, flag or environment variable of its own.
import net from 'node:net';

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (args.length > 1 && (args[1] === undefined || args[1] === null)) {
      args[1] = '127.0.0.1';
    } else if (typeof args[1] !== 'string') {
      args.splice(1, 0, '127.0.0.1');
    }
  } else if (first && typeof first === 'object' && first.port !== undefined && !first.host && !first.path) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
