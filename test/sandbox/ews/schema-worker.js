// Warm EWS schema validator: ONE xmllint run (libxml2 in wasm, from xmllint-wasm) compiles the schema once and
// then validates an endless list of "files". Each file is a character device whose bytes are pulled, on first
// read, from the main thread (Atomics.wait + receiveMessageOnPort), so compiling (~0.3 s) is paid once per worker.
// Plain CommonJS so it runs in a worker thread under jest/ts-jest and tsx alike.
'use strict';
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
// xmllint-node.js also installs its own (keyed) message listener; we never send its key, so it stays idle.
const Module = require(workerData.xmllintPath);

const { schemaFiles, slots, docPort, signal } = workerData;
const control = new Int32Array(signal); // [0] = number of documents handed over so far
let requested = -1; // index of the device the parser asked for last

function deviceReader(index) {
	let bytes;
	let offset = 0;
	return () => {
		if (!bytes) {
			if (index !== requested + 1) throw new Error(`device ${index} read out of order`);
			requested = index;
			// Everything xmllint printed before this read belongs to earlier documents.
			parentPort.postMessage({ type: 'ready', index });
			// Wait on the value just compared: loading it a second time for Atomics.wait lost the wakeup when the main
			// thread handed the document over between the two loads (wait then slept on the new value for good).
			for (let handed = Atomics.load(control, 0); handed <= index; handed = Atomics.load(control, 0)) Atomics.wait(control, 0, handed);
			let message = receiveMessageOnPort(docPort);
			// The document is posted before the counter moves, but don't bet the run on cross-thread ordering.
			while (!message) {
				Atomics.wait(control, 0, Atomics.load(control, 0), 5); // bounded: a nap, not a wait for a wakeup
				message = receiveMessageOnPort(docPort);
			}
			bytes = Buffer.from(message.message, 'utf8');
		}
		return offset < bytes.length ? bytes[offset++] : null;
	};
}

const wasmMemory = new WebAssembly.Memory({ initial: 1024, maximum: 16384 });
const moduleArg = {
	// --huge: libxml2 refuses text nodes over 10 MB otherwise ("Text node too long"), but EWS carries attachments and
	// MIME of up to ~150 MB as one base64 text node. The schema check of that node (xs:base64Binary) stays in force.
	inputFiles: schemaFiles,
	arguments: ['--noout', '--huge', '--schema', 'wrapper.xsd', ...Array.from({ length: slots }, (_, i) => `d${i}`)],
	preInit() {
		for (let i = 0; i < slots; i++) moduleArg.FS_createDevice('/', `d${i}`, deviceReader(i), null);
	},
	print() {},
	printErr(line) {
		parentPort.postMessage({ type: 'line', line });
	},
	onExit(exitCode) {
		parentPort.postMessage({ type: 'exit', exitCode });
	},
	onAbort(reason) {
		parentPort.postMessage({ type: 'exit', exitCode: -1, reason: String(reason) });
	},
	wasmMemory,
};
Module(moduleArg);
