// Outside Slack: what the stand-in GOV.UK Notify delivers, as it would arrive. The
// resident's phone shows residents' texts and e-mails (/sandbox/phone); the Inbox shows the
// e-mails of providers without Slack (/sandbox/inbox), whose links open each handover's
// page. Each panel reads its own address, and nothing of the rest of the page.

const $ = (id) => document.getElementById(id);
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

// A message's text, its web addresses made links (opening in a tab of their own).
function linked(text) {
  const parts = text.split(/(https?:\/\/[^\s]+)/);
  return parts.map((part, i) =>
    i % 2 ? el("a", { href: part, target: "_blank", rel: "noopener", text: part }) : document.createTextNode(part),
  );
}

function render(recipients, empty) {
  if (!recipients.length) {
    return [el("p", { class: "phone-empty", text: empty })];
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
            el("p", { class: "phone-text" }, linked(message.body)),
            el("p", { class: "phone-meta" }, [
              el("span", { text: when(message.created_at) }),
              el("span", { class: `phone-status phone-${message.status}`, text: STATUS[message.status] || message.status }),
            ]),
          ]),
        ),
      ]),
    );
}

function panel({ name, url, empty }) {
  const ui = {
    toggle: $(`${name}-toggle`),
    badge: $(`${name}-badge`),
    panel: $(name),
    body: $(`${name}-body`),
    close: $(`${name}-close`),
  };
  let seen = 0; // messages there were when the panel was last looked at
  let shownKey = null;

  async function refresh() {
    let answer;
    try {
      const response = await fetch(url, { cache: "no-store" });
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
      ui.body.replaceChildren(...render(recipients, empty));
    }
  }

  function show(open) {
    if (open) panels.filter((other) => other.ui !== ui).forEach((other) => other.show(false));
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
  return { ui, show, refresh };
}

const panels = [
  panel({
    name: "phone",
    url: "/sandbox/phone",
    empty:
      "Nothing yet. Refer a resident with a mobile number or an e-mail address, then accept the " +
      "handover as the provider: the resident's message arrives here. Messages go between 08:00 " +
      "and 20:00 London time; one due at night waits for the morning.",
  }),
  panel({
    name: "inbox",
    url: "/sandbox/inbox",
    empty:
      "Nothing yet. Refer a resident for a need only a provider without Slack offers (in the " +
      "example network, Hospitality and catering traineeships): its e-mail arrives here, with " +
      "the link to the handover's page.",
  }),
].filter((p) => p.ui.panel);

const refreshAll = () => panels.forEach((p) => p.refresh());
refreshAll();
const timer = setInterval(refreshAll, EVERY_MS);
window.addEventListener("pagehide", () => clearInterval(timer));
