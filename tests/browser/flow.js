// The operator's path through a call, watched from the supervisor console (issue #7).
// Usage: node tests/browser/flow.js <base-url> <artifacts-dir>; users come from the environment.
// Exits non-zero on the first failed step; a screenshot is saved after every step.
const { chromium } = require("playwright-core");
const path = require("path");
const fs = require("fs");

const base = process.argv[2];
const out = process.argv[3];
const OP = { login: process.env.OP_LOGIN, password: process.env.OP_PASSWORD, id: process.env.OP_ID };
const SUP = { login: process.env.SUP_LOGIN, password: process.env.SUP_PASSWORD };
const CONSOLE_LIMIT_MS = 1000;

async function signIn(page, who) {
  await page.goto(base + "/login");
  await page.fill('input[name="login"]', who.login);
  await page.fill('input[name="password"]', who.password);
  await Promise.all([page.waitForNavigation(), page.click('main form button')]);
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  let n = 0;
  const shot = async (page, name) => page.screenshot({ path: path.join(out, String(++n).padStart(2, "0") + "-" + name + ".png"), fullPage: true });
  const sup = await (await browser.newContext()).newPage();
  const op = await (await browser.newContext()).newPage();
  try {
    await signIn(sup, SUP);
    await sup.goto(base + "/supervisor/console");
    await sup.waitForSelector("#operators tbody", { state: "attached" });
    await signIn(op, OP);
    await op.goto(base + "/workplace");
    await op.waitForSelector("#signin-form", { state: "visible" });
    await op.selectOption("#f-mode", "simulated");
    await op.fill("#f-number", "1001");
    await shot(op, "operator-sign-in");
    await op.click("#signin-button");
    await op.waitForSelector('#wp-state[data-state="not_ready"]');
    await shot(op, "operator-signed-in");

    // Each state the operator sees must show on the console within a second.
    const consoleShows = async (state, label) => {
      const t0 = Date.now();
      await sup.waitForSelector(`#operators tr[data-operator="${OP.id}"] td.state[data-state="${state}"]`, { timeout: CONSOLE_LIMIT_MS });
      console.log(`console shows ${state} after ${Date.now() - t0} ms`);
      await shot(sup, "console-" + label);
    };
    await consoleShows("not_ready", "signed-in");

    await op.click("#btn-ready");
    await op.waitForSelector('#wp-state[data-state="ready"]');
    await shot(op, "operator-ready");
    await consoleShows("ready", "ready");

    await op.waitForSelector('#wp-state[data-state="talking"]', { timeout: 30000 });
    await op.waitForSelector("#call:not([hidden])");
    await op.waitForSelector("#contact-card dd");
    await shot(op, "operator-call-card");
    await consoleShows("talking", "talking");

    await op.fill("#q-interest", "да, интересно");
    await op.dispatchEvent("#q-interest", "change");
    await shot(op, "operator-script");

    // The callback form (R7.8) answers a missing time beside the field, during the call.
    await op.click("#btn-tool-callback");
    await op.waitForSelector("#callback-form:not([hidden])");
    await op.click("#callback-form button.primary");
    await op.waitForFunction(() => document.querySelector('#callback-form [data-error="due_at"]').textContent.length > 0);
    await shot(op, "operator-callback-error");

    await op.click("#btn-end");
    await op.waitForSelector('#wp-state[data-state="wrap_up"]');
    await op.waitForSelector("#wrapup-form:not([hidden])");
    await shot(op, "operator-wrap-up");
    await consoleShows("wrap_up", "wrap-up");

    // Without a code the form says so beside the field.
    await op.click("#btn-wrapup");
    await op.waitForFunction(() => document.querySelector('#wrapup-form [data-error="code"]').textContent.length > 0);
    await shot(op, "operator-wrap-up-error");
    await op.selectOption("#f-code", "sale");
    await op.click("#btn-wrapup");
    await op.waitForSelector('#wp-state[data-state="ready"]');
    await shot(op, "operator-wrapped-up");
    await op.click("#btn-history");
    await op.waitForSelector("#history-table tbody tr");
    await shot(op, "operator-history");
    await consoleShows("ready", "after-wrap-up");

    await op.click("#btn-not-ready");
    await op.waitForSelector('#wp-state[data-state="not_ready"]');
    await consoleShows("not_ready", "not-ready");
    console.log("flow passed");
  } catch (err) {
    // What each page showed when the step failed, for the test's artifacts.
    for (const [name, page] of [["supervisor", sup], ["operator", op]]) {
      console.error(name + " was at " + page.url() + ": " + (await page.innerText("main").catch(() => "")).slice(0, 500));
      await shot(page, "failed-" + name).catch(() => {});
    }
    throw err;
  } finally {
    await browser.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
