// The resident's phone: the texts and e-mails the network sends residents through the
// stand-in GOV.UK Notify, as they would arrive. It reads /sandbox/phone, and nothing of
// the rest of the page.

const $ = (id) => document.getElementById(id);
const ui = {
  toggle: $("phone-toggle"),
  badge: $("phone-badge"),
  panel: $("phone"),
  body: $("phone-body"),
  close: $("phone-close"),
};
const EVERY_MS = 1500;
const LABEL = { sms: "Text message", email: "E-mail" };
const STATUS = {
  created: "Sending",
  sending: "Sending",
  delivered: "Delivered",
  "permanent-failure": "Not delivered",
  "temporary-failure": "Not delivered yet",
  "technical-failure": "Not delivered (Notify's fault)",
};

let seen = 0; // messages there were when the phone was last looked at
let shownKey = null;
let timer = null;

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function when(iso) {
  const at = new Date(iso);
  return Number.isNaN(at.getTime())
    ? ""
    : at.toLocaleString("en-GB", { timeZone: "Europe/London", weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function render(recipients) {
  if (!recipients.length) {
    return [
      el("p", {
        class: "phone-empty",
        text:
          "Nothing yet. Refer a resident with a mobile number or an e-mail address, then accept the " +
          "handover as the provider: the resident's message arrives here. Messages go between 08:00 " +
          "and 20:00 London time; one due at night waits for the morning.",
      }),
    ];
  }
  return recipients
    .slice()
    .reverse()
    .map((group) =>
      el("section", { class: "phone-thread", "data-testid": "phone-thread" }, [
        el("h3", { class: "phone-to", text: `${LABEL[group.kind] || "Message"} to ${group.to}` }),
        ...group.messages.map((message) =>
          el("article", { class: `phone-message phone-${message.kind}`, "data-testid": "phone-message" }, [
            ...(message.subject ? [el("p", { class: "phone-subject", text: message.subject })] : []),
            el("p", { class: "phone-text", text: message.body }),
            el("p", { class: "phone-meta" }, [
              el("span", { text: when(message.created_at) }),
              el("span", { class: `phone-status phone-${message.status}`, text: STATUS[message.status] || message.status }),
            ]),
          ]),
        ),
      ]),
    );
}

async function refresh() {
  let answer;
  try {
    const response = await fetch("/sandbox/phone", { cache: "no-store" });
    if (!response.ok) return;
    answer = await response.json();
  } catch {
    return; // the sandbox is restarting: the next look will do
  }
  const recipients = answer.recipients || [];
  const count = recipients.reduce((n, group) => n + group.messages.length, 0);
  const open = !ui.panel.hidden;
  if (open) seen = count;
  ui.badge.hidden = open || count <= seen;
  ui.badge.textContent = String(count - seen);
  const key = JSON.stringify(recipients);
  if (open && key !== shownKey) {
    shownKey = key;
    ui.body.replaceChildren(...render(recipients));
  }
}

function show(open) {
  ui.panel.hidden = !open;
  ui.toggle.setAttribute("aria-expanded", String(open));
  shownKey = null;
  refresh();
  if (open) ui.body.focus();
}

ui.toggle.addEventListener("click", () => show(ui.panel.hidden));
ui.close.addEventListener("click", () => {
  show(false);
  ui.toggle.focus();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !ui.panel.hidden && ui.panel.contains(document.activeElement)) {
    show(false);
    ui.toggle.focus();
  }
});
refresh();
timer = setInterval(refresh, EVERY_MS);
window.addEventListener("pagehide", () => clearInterval(timer));
