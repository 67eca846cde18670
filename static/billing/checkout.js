// Card forms (the store's card page, the portal's "Add a card"): a typed card goes to Stripe.js, which saves it
// through a SetupIntent Roster makes on request; the form then posts the SetupIntent's id, never the card.
// A saved card chosen instead posts as it is. When the bank asks for 3-D Secure, Stripe.js finishes the
// payment and the page posts to Roster, which asks Stripe before it records anything.
(function () {
  "use strict";
  if (typeof Stripe === "undefined") return;
  const errors = document.getElementById("card-errors");
  const button = document.getElementById("card-pay");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]");

  function fail(message) {
    errors.textContent = message;
    button.disabled = false;
  }

  const authenticate = document.getElementById("card-authenticate");
  if (authenticate) {
    const stripe = Stripe(authenticate.dataset.publishableKey);
    authenticate.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      const result = await stripe.confirmCardPayment(authenticate.dataset.actionSecret);
      if (result.error) return fail(result.error.message || "Your bank did not confirm the payment.");
      authenticate.submit();
    });
    return;
  }

  const form = document.getElementById("card-payment");
  if (!form) return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const choices = form.querySelectorAll("input[type=radio][name=card]");

  function newCard() {
    const chosen = form.querySelector("input[name=card]:checked") || form.querySelector("input[name=card]");
    return !chosen || chosen.value === "new";
  }
  function showNewCard() {
    form.querySelectorAll(".new-card-fields").forEach(function (part) {
      part.hidden = !newCard();
    });
  }
  choices.forEach(function (choice) {
    choice.addEventListener("change", showNewCard);
  });
  showNewCard();

  form.addEventListener("submit", async function (event) {
    if (!newCard()) return;
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    const response = await fetch(form.dataset.setupUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf.value },
      credentials: "same-origin",
    });
    const setup = await response.json().catch(function () {
      return { error: "Card payments are unavailable right now: try again." };
    });
    if (!response.ok) return fail(setup.error || "Card payments are unavailable right now: try again.");
    const result = await stripe.confirmCardSetup(setup.client_secret, { payment_method: { card: card } });
    if (result.error) return fail(result.error.message || "The card was not accepted.");
    form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
    form.submit();
  });
})();
