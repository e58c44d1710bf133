{{%AUTOESCAPE context="HTML"}}
{{#order}}
<nav class="breadcrumb" aria-label="Breadcrumb">
  <ol>
    <li><a href="/orders">Orders</a></li>
    <li><a href="/orders/{{id}}">Order #{{id}}</a></li>
    <li><span aria-current="page">Payment</span></li>
  </ol>
</nav>
{{/order}}

{{#outcome}}
<div class="alert alert-success order-outcome" role="status" data-tone="{{tone}}">
  <p>{{message}}</p>
</div>
<div class="alert alert-error order-outcome" role="alert" data-tone="{{tone}}">
  <p>{{message}}</p>
</div>
{{/outcome}}

{{#payable}}{{#order}}
<div class="pay-layout">
  <section class="panel pay-panel" aria-labelledby="pay-title">
    <p class="eyebrow">Checkout</p>
    <h1 id="pay-title">Pay for order #{{id}}</h1>
    <p class="hold" role="timer" data-expires-at="{{expires_at}}">Your items are held until <time datetime="{{expires_at}}" data-utc="{{expires_at}}">{{expires_at}}</time>.</p>

    <form class="stack-form pay-form" method="post" action="/orders/{{id}}/pay">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field">
        <label for="pay-card">Card number</label>
        <input id="pay-card" type="text" name="card_number" inputmode="numeric" autocomplete="cc-number" pattern="[0-9 \-]{12,24}" maxlength="24" aria-describedby="pay-card-hint" required>
        <div class="field-hint test-cards" id="pay-card-hint">
          <p>This is a test store; no real card is charged. Use:</p>
          <ul>
            <li><code>4242 4242 4242 4242</code> approves</li>
            <li><code>4000 0000 0000 0002</code> declines</li>
          </ul>
        </div>
      </div>
      <button type="submit" class="btn btn-primary btn-block" data-needs-hold><span>Pay {{total:x-won}}</span></button>
    </form>

    <form class="pay-cancel" method="post" action="/orders/{{id}}/cancel" data-confirm="Cancel order #{{id}}? Your items go back on sale.">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn btn-ghost btn-sm">Cancel order</button>
    </form>
  </section>

  <aside class="panel pay-summary" aria-labelledby="pay-summary-title">
    <h2 id="pay-summary-title">Order summary</h2>
    <ul class="pay-items" role="list">
      {{#items}}
      <li>
        <span class="pay-item-name"><a href="/products/{{product_id}}">{{name}}</a> <span class="muted">&times;&nbsp;{{quantity}}</span></span>
        <span class="pay-item-price">{{unit_price:x-won}} each</span>
      </li>
      {{/items}}
    </ul>
    <dl class="sum-rows">
      <div>
        <dt>Amount</dt>
        <dd>{{amount:x-won}}</dd>
      </div>
      <div class="sum-discount" data-discount="{{discount}}">
        <dt>Coupon discount</dt>
        <dd>&minus;{{discount:x-won}}</dd>
      </div>
      <div class="sum-total">
        <dt>Total</dt>
        <dd class="price">{{total:x-won}}</dd>
      </div>
    </dl>
  </aside>
</div>
{{/order}}{{/payable}}

{{#no_payable}}{{#order}}
<section class="message-page pay-closed" aria-labelledby="pay-closed-title">
  <span class="message-icon" aria-hidden="true"></span>
  <h1 id="pay-closed-title">Order #{{id}} is not open for payment</h1>
  <p class="message-text">This order is <span class="badge status" data-status="{{status}}">{{status:x-status}}</span></p>
  <p class="message-actions">
    <a class="btn btn-primary" href="/orders/{{id}}">See the order</a>
    <a class="btn" href="/orders">All orders</a>
  </p>
</section>
{{/order}}{{/no_payable}}
