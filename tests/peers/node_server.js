#!/usr/bin/env node
// An lwm2m-node-lib 1.4.0 server for the end-to-end tests, driven over stdin/stdout.
//
//   NODE_PATH=target/peers/node/node_modules node tests/peers/node_server.js PORT
//
// Prints `READY <port>` once listening on 127.0.0.1:PORT, then lines `R <id> <json>` / `E <event> <json>`:
// - replies to commands: {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":"..."};
// - events: {"event":"registration"|"update"|"unregistration"|"notify", "t":ms, ...}.
// Commands (one JSON object per line on stdin, "id" is echoed back):
//   {"op":"list"}                                  -> {"devices":[{name,id,lifetime,address,port}]}
//   {"op":"wait-registration","ep":E,"timeout_ms":T} -> {"device":{...}} once E is registered
//   {"op":"read","ep":E,"path":"/o/i/r"}           -> {"value":"..."}
//   {"op":"write","ep":E,"path":"/o/i/r","value":"..."}
//   {"op":"execute","ep":E,"path":"/o/i/r","value":"..."(optional)}
//   {"op":"discover","ep":E,"path":"/o[/i[/r]]"}   -> {"value":"<link-format>"}
//   {"op":"write-attributes","ep":E,"path":...,"attributes":{"pmin":1,...}}
//   {"op":"observe","ep":E,"path":"/o/i/r"}        -> {"value":first}; then "notify" events
//   {"op":"cancel","ep":E,"path":"/o/i/r"}
//   {"op":"stop"}                                  -> stops the server and exits
// A failed operation replies {"ok":false,"error":NAME,"code":"4.xx"} with the CoAP code when known.
'use strict';

const readline = require('readline');
const lwm2m = require('lwm2m-node-lib');
const server = lwm2m.server;

const port = parseInt(process.argv[2] || '0', 10);
if (!(port > 0 && port < 65536)) {
    process.stderr.write('usage: node_server.js PORT\n');
    process.exit(2);
}

// `E <event> <json>` for an event, `R <id> <json>` for the reply to command <id>.
function emit(obj) {
    const head = obj.event !== undefined ? 'E ' + obj.event : 'R ' + obj.id;
    process.stdout.write(head + ' ' + JSON.stringify(obj) + '\n');
}

function event(name, fields) {
    emit(Object.assign({ event: name, t: Date.now() }, fields));
}

const config = {
    port: port,
    lifetimeCheckInterval: 1000,
    udpWindow: 100,
    defaultType: 'Device',
    logLevel: 'FATAL',
    ipProtocol: 'udp4',
    serverProtocol: 'udp4',
    formats: [{ name: 'application-vnd-oma-lwm2m/text', value: 1541 }],
    writeFormat: 'application-vnd-oma-lwm2m/text',
    defaultAcceptFormat: 'text/plain',
};

let serverInfo = null;
// ep name -> list of pending {resolve} waiting for its registration
const waiters = {};

function parsePath(path) {
    const parts = String(path || '').split('/').filter((p) => p.length > 0);
    if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) {
        throw new Error('bad path ' + path);
    }
    return parts;
}

function deviceSummary(d) {
    return { name: d.name, id: d.id, lifetime: d.lifetime, address: d.address, port: d.port, path: d.path };
}

function failure(id, err) {
    const reply = { id: id, ok: false, error: (err && (err.name || err.message)) || String(err) };
    if (err && err.code) {
        reply.code = String(err.code);
    }
    if (err && err.message) {
        reply.message = err.message;
    }
    emit(reply);
}

function withDevice(id, ep, fn) {
    server.getDevice(ep, (err, device) => {
        if (err || !device) {
            failure(id, err || new Error('device not found: ' + ep));
        } else {
            fn(device);
        }
    });
}

function notifyWaiters(ep) {
    const list = waiters[ep] || [];
    delete waiters[ep];
    list.forEach((w) => w());
}

function handle(cmd) {
    const id = cmd.id;
    const done = (err, value) => {
        if (err) {
            failure(id, err);
        } else {
            emit({ id: id, ok: true, value: value === undefined ? null : value });
        }
    };
    let p;
    try {
        p = cmd.path === undefined ? [] : parsePath(cmd.path);
    } catch (e) {
        return failure(id, e);
    }
    switch (cmd.op) {
        case 'list':
            return server.listDevices((err, list) => {
                if (err) {
                    return failure(id, err);
                }
                const devices = (list && list.devices ? list.devices : list || []).map(deviceSummary);
                emit({ id: id, ok: true, devices: devices });
            });
        case 'wait-registration': {
            const timeout = cmd.timeout_ms || 10000;
            let finished = false;
            const timer = setTimeout(() => {
                if (!finished) {
                    finished = true;
                    failure(id, new Error('no registration of ' + cmd.ep + ' within ' + timeout + ' ms'));
                }
            }, timeout);
            const attempt = () =>
                server.getDevice(cmd.ep, (err, device) => {
                    if (finished) {
                        return;
                    }
                    if (!err && device) {
                        finished = true;
                        clearTimeout(timer);
                        emit({ id: id, ok: true, device: deviceSummary(device) });
                    } else {
                        (waiters[cmd.ep] = waiters[cmd.ep] || []).push(attempt);
                    }
                });
            return attempt();
        }
        case 'read':
            if (p.length !== 3) {
                return failure(id, new Error('read needs /o/i/r'));
            }
            return withDevice(id, cmd.ep, (d) => server.read(d.id, p[0], p[1], p[2], done));
        case 'write':
            if (p.length !== 3) {
                return failure(id, new Error('write needs /o/i/r'));
            }
            return withDevice(id, cmd.ep, (d) => server.write(d.id, p[0], p[1], p[2], String(cmd.value), done));
        case 'execute':
            if (p.length !== 3) {
                return failure(id, new Error('execute needs /o/i/r'));
            }
            return withDevice(id, cmd.ep, (d) =>
                server.execute(d.id, p[0], p[1], p[2], cmd.value === undefined ? null : String(cmd.value), done));
        case 'discover':
            return withDevice(id, cmd.ep, (d) => {
                if (p.length === 3) {
                    server.discover(d.id, p[0], p[1], p[2], done);
                } else if (p.length === 2) {
                    server.discover(d.id, p[0], p[1], done);
                } else {
                    server.discover(d.id, p[0], done);
                }
            });
        case 'write-attributes':
            return withDevice(id, cmd.ep, (d) =>
                server.writeAttributes(d.id, p[0], p[1], p[2], cmd.attributes || {}, done));
        case 'observe':
            if (p.length !== 3) {
                return failure(id, new Error('observe needs /o/i/r'));
            }
            return withDevice(id, cmd.ep, (d) =>
                server.observe(d.id, p[0], p[1], p[2], (value, o, i, r) => {
                    event('notify', { ep: cmd.ep, path: '/' + o + '/' + i + '/' + r, value: value });
                }, done));
        case 'cancel':
            return withDevice(id, cmd.ep, (d) => server.cancelObserver(d.id, p[0], p[1], p[2], done));
        case 'stop':
            return server.stop(serverInfo, () => {
                emit({ id: id, ok: true });
                process.exit(0);
            });
        default:
            return failure(id, new Error('unknown op ' + cmd.op));
    }
}

server.start(config, (err, info) => {
    if (err) {
        process.stderr.write('cannot start lwm2m-node-lib server: ' + err + '\n');
        process.exit(1);
    }
    serverInfo = info;
    server.setHandler(info, 'registration', (endpoint, lifetime, version, binding, payload, cb) => {
        event('registration', { ep: endpoint, lt: lifetime, lwm2m: version, b: binding, payload: payload });
        cb();
        setImmediate(() => notifyWaiters(endpoint));
    });
    server.setHandler(info, 'updateRegistration', (obj, payload, cb) => {
        event('update', { ep: obj.name, lt: obj.lifetime, address: obj.address, port: obj.port, payload: payload });
        cb();
    });
    server.setHandler(info, 'unregistration', (device, cb) => {
        event('unregistration', { ep: device && device.name });
        cb();
    });
    process.stdout.write('READY ' + port + '\n');
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
        if (!line.trim()) {
            return;
        }
        let cmd;
        try {
            cmd = JSON.parse(line);
        } catch (e) {
            return emit({ ok: false, error: 'bad JSON: ' + e.message });
        }
        try {
            handle(cmd);
        } catch (e) {
            failure(cmd.id, e);
        }
    });
    // The test closes stdin (or dies): stop serving so no peer is left running.
    rl.on('close', () => server.stop(serverInfo, () => process.exit(0)));
});
