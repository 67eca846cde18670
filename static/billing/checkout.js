// The online store's card form: Stripe.js takes the card and confirms the PaymentIntent with Stripe, then the
// form posts to Roster, which asks Stripe itself before it records anything.
(function () {
  "use strict";
  const form = document.getElementById("card-payment");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const errors = document.getElementById("card-errors");
  const button = document.getElementById("card-pay");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    const result = await stripe.confirmCardPayment(form.dataset.clientSecret, {
      payment_method: { card: card },
    });
    if (result.error) {
      errors.textContent = result.error.message || "The card was not charged.";
      button.disabled = false;
      return;
    }
    form.submit();
  });
})();
