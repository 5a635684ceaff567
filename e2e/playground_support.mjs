// What the real-client tests share: starting the bot and Agents Playgrounds as processes, and
// driving a Playground's page in Chromium. `harness()` keeps one test file's state (its
// artefacts folder, work folder, processes, browser and screenshot count).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const PYTHON = process.env.PYTHON || path.join(REPO, ".venv", "bin", "python");
export const BOT_DIR = process.env.E2E_BOT_DIR || REPO;
export const PLAYGROUND = path.join(REPO, "node_modules", ".bin", "agentsplayground");
export const CARD_WAIT = 30_000; // a bot reply, or an outbox post reaching a channel
export const START_WAIT = 60_000; // a process starting

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The newest card that shows `text`. */
export function card(page, text) {
  return page.locator(".ac-adaptiveCard", { hasText: text }).last();
}

export async function waitForCard(page, text) {
  const found = card(page, text);
  await found.waitFor();
  await found.scrollIntoViewIfNeeded();
  return found;
}

export async function say(page, text) {
  const box = page.getByRole("textbox").last();
  await box.click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

export async function pickDate(page, scope, label, day) {
  await scope.getByRole("combobox", { name: label }).click();
  const calendar = page.getByRole("dialog", { name: "Calendar" });
  const month = day.toLocaleString("en-US", { month: "long" });
  await calendar
    .getByRole("button", { name: `${day.getDate()}, ${month}, ${day.getFullYear()}`, exact: true })
    .click();
  await calendar.waitFor({ state: "hidden" });
}

/** One test file's processes, Playgrounds, browser and screenshots. */
export function harness({ artifacts, workPrefix }) {
  const h = {
    artifacts,
    work: fs.mkdtempSync(path.join(os.tmpdir(), workPrefix)),
    processes: [],
    browser: undefined,
    shot: 0,
  };

  /** Start a process in its own group, logging to artefacts; resolves when `ready` matches. */
  h.start = (name, command, args, { cwd, env, ready }) => {
    const log = fs.createWriteStream(path.join(artifacts, `${name}.log`));
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const entry = { name, child, exited: false, output: "" };
    h.processes.push(entry);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in ${START_WAIT / 1000} s: see ${name}.log`)),
        START_WAIT,
      );
      const watch = (chunk) => {
        log.write(chunk);
        entry.output = (entry.output + chunk.toString()).slice(-1_000_000);
        const match = !entry.ready && ready.exec(entry.output);
        if (match) {
          entry.ready = match;
          clearTimeout(timer);
          resolve(entry);
        }
      };
      child.stdout.on("data", watch);
      child.stderr.on("data", watch);
      child.on("exit", (code) => {
        entry.exited = true;
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before it was ready: see ${name}.log`));
      });
    });
  };

  h.stop = async (entry) => {
    if (entry.exited) return;
    const gone = new Promise((resolve) => entry.child.once("exit", resolve));
    try {
      process.kill(-entry.child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timeout = new Promise((resolve) => setTimeout(resolve, 10_000, "timeout"));
    if ((await Promise.race([gone, timeout])) === "timeout") {
      try {
        process.kill(-entry.child.pid, "SIGKILL");
      } catch {}
    }
  };

  /** Resolves once `entry`'s output matches `pattern`; fails after `timeout` ms. */
  h.waitForOutput = async (entry, pattern, timeout = CARD_WAIT) => {
    const deadline = Date.now() + timeout;
    while (!pattern.test(entry.output)) {
      if (Date.now() > deadline) throw new Error(`${entry.name} never logged ${pattern}: see ${entry.name}.log`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /**
   * Wait for this week's summary to reach the Hub officer, if the bot queued one. The bot's
   * first scheduler tick queues it (any day after the summary's day and time), and it is
   * delivered once the officer's chat exists: a card that arrives while a form is being filled
   * in makes the Playground draw the chat again, dropping what was typed. Call it as soon as
   * the officer's chat is open: the outbox tries again sooner while its retries are young.
   */
  h.settleWeeklySummary = async (bot) => {
    if (/weekly digest for \S+ queued/.test(bot.output)) {
      await h.waitForOutput(bot, /outbox 'digest:[^']*' delivered/, 2 * CARD_WAIT);
    }
  };

  /** A Playground instance playing `user`, on a port of its own, talking to the bot. */
  h.playground = async (user, botPort, conversationId, port = undefined, suffix = "") => {
    const folder = path.join(h.work, user.split(" ")[0].toLowerCase());
    const made = spawnSync(PYTHON, [path.join(REPO, "e2e", "playground_user.py"), user, folder], {
      encoding: "utf8",
    });
    if (made.status !== 0) throw new Error(`playground_user.py failed: ${made.stderr}`);
    port ??= await freePort();
    const name = `playground-${user.split(" ")[0].toLowerCase()}${suffix}`;
    const entry = await h.start(
      name,
      PLAYGROUND,
      [
        "--app-endpoint", `http://127.0.0.1:${botPort}/api/messages`,
        "--channel-id", "msteams",
        "--port", String(port),
        "--conversation-id", conversationId,
        "--disable-telemetry",
      ],
      { cwd: folder, env: { ...process.env, BROWSER: "none" }, ready: /Listening on (\d+)/ },
    );
    // It falls back to a random port when ours was taken in the meantime: use the one it says.
    entry.url = `http://localhost:${entry.ready[1]}`;
    return entry;
  };

  /** A page on `url`; `gate` (optional) may hold back what the Playground pushes to it. */
  h.open = async (url, { gate, height = 1000 } = {}) => {
    const context = await h.browser.newContext({ viewport: { width: 1400, height } });
    if (gate) await gate.install(context);
    const page = await context.newPage();
    page.setDefaultTimeout(CARD_WAIT);
    await page.goto(url);
    await page.getByRole("textbox").first().waitFor();
    return page;
  };

  /** The next numbered screenshot's file. */
  h.shotFile = (name) => {
    h.shot += 1;
    return path.join(artifacts, `${String(h.shot).padStart(2, "0")}-${name}.png`);
  };

  h.screenshot = async (page, name) => {
    const file = h.shotFile(name);
    await page.screenshot({ path: file });
    return file;
  };

  /** Stop the browser and every process, and remove the work folder. */
  h.close = async () => {
    await h.browser?.close();
    for (const entry of h.processes.reverse()) await h.stop(entry);
    fs.rmSync(h.work, { recursive: true, force: true });
  };

  return h;
}
