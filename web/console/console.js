// Customer 360 service console: a small page over the GraphQL API (no framework, no network but this server).
// It signs in with a bearer token, finds a customer by phone or name, shows their 360 view and timeline, opens and
// works tickets, logs calls, and hears the customer's changes live over graphql-transport-ws.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const MOVES = {
    NEW: ["OPEN"],
    OPEN: ["PENDING", "RESOLVED"],
    PENDING: ["OPEN"],
    RESOLVED: ["CLOSED", "OPEN"],
    CLOSED: [],
  }; // the ticket state machine (subgraphs/tickets/workflow.py decides; this only offers the buttons)
  const VIEW = `query($id: ID!) { customer(id: $id) { id fullName city loyaltyTier lifetimeValue orderCount
    openTicketCount identifiers { type value }
    tickets(first: 20) { id subject status priority channel queue assignee sla { breached paused remainingSeconds } }
    timeline(first: 25) { nodes { kind at title summary status amount currency } } } }`;
  const EVENTS = "subscription($id: ID!) { customerEvents(customerId: $id) { kind ticketId } }";

  let token = sessionStorage.getItem("c360.token");
  let current = null;
  let selected = null;
  let socket = null;
  let reloading = null;

  const key = () =>
    globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;

  function el(tag, text, attributes = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  }

  function show(message) {
    $("message").textContent = message || "";
  }

  async function gql(query, variables = {}) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (response.status === 401) {
      signOut(body.errors?.[0]?.message ?? "Sign in again");
      throw new Error("unauthenticated");
    }
    if (body.errors?.length) show(body.errors.map((e) => e.message).join("; "));
    return body.data ?? {};
  }

  function signedIn() {
    $("sign-in").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    try {
      const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      $("who").textContent = `${claims.sub} (${(claims.roles || []).join(", ")})`;
    } catch {
      $("who").textContent = "";
    }
  }

  function signOut(reason) {
    sessionStorage.removeItem("c360.token");
    token = null;
    closeSocket();
    $("sign-in").hidden = false;
    $("console").hidden = true;
    $("sign-out").hidden = true;
    $("who").textContent = "";
    show(reason);
  }

  async function search(event) {
    event.preventDefault();
    show("");
    const value = $("search").value.trim();
    const list = $("results");
    list.replaceChildren();
    let found = [];
    if ($("search-by").value === "phone") {
      const data = await gql(
        "query($v: String!) { customerByIdentifier(type: PHONE, value: $v) { id fullName city } }",
        { v: value },
      );
      found = data.customerByIdentifier ? [data.customerByIdentifier] : [];
    } else {
      const data = await gql(
        "query($n: String!) { customers(first: 10, filter: {name: $n}) { nodes { id fullName city } } }",
        { n: value },
      );
      found = data.customers?.nodes ?? [];
    }
    if (!found.length) show("No customer found");
    for (const customer of found) {
      const item = el("li", `${customer.fullName ?? customer.id} · ${customer.city ?? ""}`, {
        "data-customer": customer.id,
      });
      item.addEventListener("click", () => open(customer.id));
      list.append(item);
    }
    if (found.length === 1) await open(found[0].id);
  }

  async function open(id) {
    current = id;
    selected = null;
    $("ticket").hidden = true;
    await load();
    listen(id);
  }

  async function load() {
    if (!current) return;
    const data = await gql(VIEW, { id: current });
    const customer = data.customer;
    if (!customer) return;
    $("customer").hidden = false;
    $("name").textContent = customer.fullName ?? customer.id;
    const facts = $("facts");
    facts.replaceChildren();
    for (const [label, value] of [
      ["City", customer.city],
      ["Tier", customer.loyaltyTier],
      ["Lifetime value", customer.lifetimeValue],
      ["Orders", customer.orderCount],
      ["Open tickets", customer.openTicketCount],
    ]) {
      facts.append(el("dt", label), el("dd", value ?? "—"));
    }
    $("identifiers").replaceChildren(
      ...(customer.identifiers ?? []).map((i) => el("li", `${i.type.toLowerCase()}: ${i.value}`)),
    );
    const rows = $("tickets").tBodies[0];
    rows.replaceChildren();
    for (const ticket of customer.tickets ?? []) {
      const row = el("tr", null, { "data-ticket": ticket.id });
      const sla = ticket.sla?.breached ? "breached" : ticket.sla?.paused ? "paused" : "on time";
      row.append(
        el("td", ticket.id),
        el("td", ticket.subject),
        el("td", ticket.status, { "data-field": "status" }),
        el("td", ticket.priority),
        el("td", sla, ticket.sla?.breached ? { class: "breached" } : {}),
      );
      row.addEventListener("click", () => select(ticket));
      if (ticket.id === selected) {
        row.classList.add("selected");
        select(ticket);
      }
      rows.append(row);
    }
    const timeline = $("timeline");
    timeline.replaceChildren();
    for (const entry of customer.timeline?.nodes ?? []) {
      const item = el("li", null, { "data-kind": entry.kind });
      item.append(el("time", new Date(entry.at).toLocaleString()), el("span", entry.title));
      const detail = [entry.status, entry.amount && `${entry.amount} ${entry.currency ?? ""}`, entry.summary]
        .filter(Boolean)
        .join(" · ");
      if (detail) item.append(el("small", ` ${detail}`));
      timeline.append(item);
    }
  }

  function select(ticket) {
    selected = ticket.id;
    for (const row of $("tickets").tBodies[0].rows) row.classList.toggle("selected", row.dataset.ticket === ticket.id);
    $("ticket").hidden = false;
    $("ticket-title").textContent = `#${ticket.id} ${ticket.subject}`;
    const status = $("ticket-status");
    status.textContent = ticket.status;
    status.dataset.status = ticket.status;
    const moves = $("moves");
    moves.replaceChildren();
    for (const to of MOVES[ticket.status] ?? []) {
      const button = el("button", `→ ${to}`, { type: "button", "data-move": to });
      button.addEventListener("click", () => move(ticket.id, to));
      moves.append(button);
    }
  }

  async function move(ticket, to) {
    show("");
    const data = await gql(
      "mutation($i: TransitionTicketInput!) { transitionTicket(input: $i) { ticket { id status } } }",
      { i: { ticketId: ticket, to, idempotencyKey: key() } },
    );
    if (data.transitionTicket) await load();
  }

  async function createTicket(event) {
    event.preventDefault();
    show("");
    const data = await gql("mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }", {
      i: {
        customer: { id: current },
        subject: $("ticket-subject").value,
        description: $("ticket-description").value,
        priority: $("ticket-priority").value,
        channel: $("ticket-channel").value,
        idempotencyKey: key(),
      },
    });
    if (data.createTicket) {
      selected = data.createTicket.ticket.id;
      $("ticket-form").reset();
      $("new-ticket").open = false;
      await load();
    }
  }

  async function comment(event) {
    event.preventDefault();
    show("");
    const data = await gql(
      "mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { comment { id } } }",
      {
        i: {
          ticketId: selected,
          body: $("comment").value,
          internal: !$("comment-public").checked,
          idempotencyKey: key(),
        },
      },
    );
    if (data.addTicketComment) {
      $("comment-form").reset();
      await load();
    }
  }

  async function logCall(event) {
    event.preventDefault();
    show("");
    const minutes = Number($("call-minutes").value || 0);
    const data = await gql(
      "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { interaction { id } } }",
      {
        i: {
          customer: { id: current },
          kind: "CALL",
          channel: "call_center",
          summary: $("call-summary").value,
          durationSeconds: minutes ? minutes * 60 : null,
          ticketId: selected,
          idempotencyKey: key(),
        },
      },
    );
    if (data.logInteraction) {
      $("call-form").reset();
      $("log-call").open = false;
      await load();
    }
  }

  function closeSocket() {
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
    $("live").hidden = true;
  }

  function listen(id) {
    closeSocket();
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    const ws = new WebSocket(url, "graphql-transport-ws");
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "customer", type: "subscribe", payload: { query: EVENTS, variables: { id } } }));
        $("live").hidden = false;
      } else if (data.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (data.type === "next") {
        // Something changed: read the view again (coalescing bursts of events).
        clearTimeout(reloading);
        reloading = setTimeout(load, 100);
      } else if (data.type === "error" || data.type === "complete") {
        $("live").hidden = true;
      }
    };
    ws.onclose = () => {
      $("live").hidden = true;
      if (socket === ws && current === id && token) setTimeout(() => current === id && listen(id), 2000);
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      token = $("token").value.trim().replace(/^Bearer\s+/i, "");
      sessionStorage.setItem("c360.token", token);
      show("");
      signedIn();
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    $("search-form").addEventListener("submit", search);
    $("ticket-form").addEventListener("submit", createTicket);
    $("comment-form").addEventListener("submit", comment);
    $("call-form").addEventListener("submit", logCall);
    if (token) signedIn();
  });
})();
