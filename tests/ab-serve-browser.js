#!/usr/bin/env node
// ab-serve-browser.js: loads report pages in Debian's headless Chromium over
// the DevTools protocol (--remote-debugging-pipe, no npm packages) and prints
// one JSON line per page: console errors and exceptions (CSP violations
// included), canvases and how many have paint on them, alert() calls, table
// rows, horizontal overflow, and whether a product titled <script> shows as
// text. Screenshots go to --shots DIR.
// usage: ab-serve-browser.js [--shots DIR] [--width N] [--nojs] URL...
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const args = process.argv.slice(2);
let shots = null, width = 1280, nojs = false;
const urls = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--shots") shots = args[++i];
	else if (args[i] === "--width") width = Number(args[++i]);
	else if (args[i] === "--nojs") nojs = true;
	else urls.push(args[i]);
}
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ab-chromium-"));
const child = spawn(chromium, [
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-extensions", "--hide-scrollbars", "--mute-audio",
	"--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let stderr = "";
child.stderr.on("data", (d) => { stderr += d; });

const pending = new Map();
const listeners = [];
let nextId = 1, buffer = "";
child.stdio[4].on("data", (chunk) => {
	buffer += chunk.toString("utf8");
	let end;
	while ((end = buffer.indexOf("\0")) >= 0) {
		const msg = JSON.parse(buffer.slice(0, end));
		buffer = buffer.slice(end + 1);
		if (msg.id && pending.has(msg.id)) {
			const { resolve, reject } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error) reject(new Error(JSON.stringify(msg.error)));
			else resolve(msg.result);
		} else if (msg.method) {
			listeners.forEach((l) => l(msg));
		}
	}
});
function send(method, params = {}, sessionId) {
	const id = nextId++;
	const msg = { id, method, params };
	if (sessionId) msg.sessionId = sessionId;
	child.stdio[3].write(JSON.stringify(msg) + "\0");
	return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function waitEvent(sessionId, method, ms) {
	return new Promise((resolve, reject) => {
		const t = setTimeout(() => reject(new Error("timeout waiting for " + method)), ms);
		listeners.push(function l(msg) {
			if (msg.sessionId === sessionId && msg.method === method) {
				clearTimeout(t);
				listeners.splice(listeners.indexOf(l), 1);
				resolve(msg.params);
			}
		});
	});
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const probe = `(() => {
	const canvases = [...document.querySelectorAll("canvas")];
	const painted = canvases.filter((c) => {
		if (!c.width || !c.height) return false;
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
		return n > 100;
	}).length;
	const text = document.body.innerText;
	return JSON.stringify({
		title: document.title,
		h1: (document.querySelector("h1") || {}).textContent || "",
		canvases: canvases.length, painted,
		drawn: Number(document.body.getAttribute("data-charts-drawn") || 0),
		rows: document.querySelectorAll("tbody tr").length,
		alerts: window.__abAlerts || 0,
		xssText: text.includes("<script>alert(1)</script>"),
		strayScripts: document.querySelectorAll('script:not([src]):not([type="application/json"])').length,
		overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
		height: Math.ceil(document.documentElement.scrollHeight)
	});
})()`;

async function check(url) {
	const { targetId } = await send("Target.createTarget", { url: "about:blank" });
	const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
	const errors = [];
	const onMsg = (msg) => {
		if (msg.sessionId !== sessionId) return;
		if (msg.method === "Runtime.exceptionThrown")
			errors.push("exception: " + (msg.params.exceptionDetails.exception || {}).description);
		else if (msg.method === "Runtime.consoleAPICalled" && (msg.params.type === "error" || msg.params.type === "assert"))
			errors.push("console: " + msg.params.args.map((a) => a.value || a.description).join(" "));
		else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error")
			errors.push("log: " + msg.params.entry.text + " " + (msg.params.entry.url || ""));
	};
	listeners.push(onMsg);
	await send("Page.enable", {}, sessionId);
	await send("Runtime.enable", {}, sessionId);
	await send("Log.enable", {}, sessionId);
	await send("Page.addScriptToEvaluateOnNewDocument",
		{ source: "window.__abAlerts = 0; window.alert = function () { window.__abAlerts++; };" }, sessionId);
	if (nojs) await send("Emulation.setScriptExecutionDisabled", { value: true }, sessionId);
	await send("Emulation.setDeviceMetricsOverride",
		{ width, height: 900, deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
	const loaded = waitEvent(sessionId, "Page.loadEventFired", 20000);
	await send("Page.navigate", { url }, sessionId);
	await loaded;
	let r;
	for (let i = 0; i < 50; i++) {
		const v = await send("Runtime.evaluate", { expression: probe, returnByValue: true }, sessionId);
		r = v.result.value ? JSON.parse(v.result.value) : { error: "probe failed" };
		if (nojs || r.drawn >= r.canvases) break;
		await sleep(100);
	}
	if (shots) {
		fs.mkdirSync(shots, { recursive: true });
		const name = (url.replace(/[?#].*$/, "").split("/").pop() || "index.html").replace(/\.html$/, "") +
			(width < 600 ? "-phone" : "") + (nojs ? "-nojs" : "") + ".png";
		await send("Emulation.setDeviceMetricsOverride",
			{ width, height: Math.min(r.height || 900, 8000), deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
		await sleep(150);
		const shot = await send("Page.captureScreenshot", { format: "png" }, sessionId);
		fs.writeFileSync(path.join(shots, name), Buffer.from(shot.data, "base64"));
		r.screenshot = path.join(shots, name);
	}
	listeners.splice(listeners.indexOf(onMsg), 1);
	await send("Target.closeTarget", { targetId });
	return Object.assign({ url, errors }, r);
}

(async () => {
	const timer = setTimeout(() => { console.error("ab-serve-browser: timed out"); child.kill("SIGKILL"); process.exit(2); }, 90000);
	let status = 0;
	try {
		await send("Browser.getVersion");
		for (const u of urls) console.log(JSON.stringify(await check(u)));
	} catch (e) {
		console.error("ab-serve-browser: " + e.message + "\n" + stderr.slice(-2000));
		status = 1;
	}
	clearTimeout(timer);
	try { await Promise.race([send("Browser.close"), sleep(2000)]); } catch (e) { /* closing */ }
	const exited = new Promise((r) => child.once("exit", r));
	child.kill("SIGKILL");
	await Promise.race([exited, sleep(3000)]);
	try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch (e) { /* left in tmp */ }
	process.exit(status);
})();
