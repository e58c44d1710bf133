{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Checkout</p>
    <h1>Your cart</h1>
  </div>
  <a class="section-link" href="/products">Keep shopping <span aria-hidden="true">&rarr;</span></a>
</div>

{{#error}}
<div class="alert alert-error" role="alert">
  <p>{{message}}</p>
  <p>Nothing was ordered and nothing was charged.</p>
</div>
{{/error}}

<div class="cart-layout">
  <section class="cart-lines" aria-label="Items in your cart">
    <ul class="cart-list" role="list">
      {{#items}}
      <li class="cart-line">
        <div class="thumb thumb-sm" aria-hidden="true"><span>{{name}}</span></div>
        <div class="cart-line-info">
          <span class="card-cat">{{category}}</span>
          <h2 class="cart-line-name"><a href="/products/{{id}}">{{name}}</a></h2>
          <p class="cart-line-meta">
            <span>{{price:x-won}} each</span>
            <span class="stock" data-stock="{{stock_remaining}}">{{stock_remaining}} left</span>
          </p>
          <p class="cart-line-sale" data-sale-opens="{{sale_starts_at}}" hidden>Sale opens <time datetime="{{sale_starts_at}}" data-utc="{{sale_starts_at}}">{{sale_starts_at}}</time>; checkout waits for it.</p>
        </div>
        <div class="cart-line-actions">
          <form class="cart-qty-form" method="post" action="/cart/items/{{id}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="set" value="1">
            <label for="cart-q-{{id}}">Qty<span class="sr-only"> of {{name}}</span></label>
            <input id="cart-q-{{id}}" type="number" name="quantity" value="{{quantity}}" min="0" max="100" step="1" inputmode="numeric" required>
            <button type="submit" class="btn btn-sm">Update</button>
          </form>
          <form class="cart-remove-form" method="post" action="/cart/items/{{id}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="set" value="1">
            <input type="hidden" name="quantity" value="0">
            <button type="submit" class="btn btn-ghost btn-sm">Remove<span class="sr-only"> {{name}}</span></button>
          </form>
        </div>
        <p class="cart-line-subtotal price"><span class="sr-only">Subtotal </span>{{subtotal:x-won}}</p>
      </li>
      {{/items}}
    </ul>
    {{#no_items}}
    <div class="empty">
      <h2>Your cart is empty</h2>
      <p>Add products from a flash sale or the catalog; they wait here until you check out.</p>
      <p><a class="btn btn-primary" href="/products">Browse products</a></p>
    </div>
    {{/no_items}}
  </section>

  <aside class="panel cart-summary" aria-labelledby="cart-summary-title">
    <h2 id="cart-summary-title">Order summary</h2>
    <dl class="sum-rows">
      <div class="sum-total">
        <dt>Total</dt>
        <dd class="price">{{total:x-won}}</dd>
      </div>
    </dl>
    <form class="stack-form" method="post" action="/checkout">
      <input type="hidden" name="csrf" value="{{csrf}}">
      {{#picker}}
      <fieldset class="coupon-picker">
        <legend>Use a coupon</legend>
        {{#coupons}}
        <label class="coupon-choice">
          <input type="radio" name="coupon_id" value="{{coupon_id}}"{{#best}} checked{{/best}}>
          <span class="coupon-choice-name">{{name}}</span>
          <span class="coupon-choice-off">&minus;{{discount:x-won}}</span>
        </label>
        {{/coupons}}
        <label class="coupon-choice">
          <input type="radio" name="coupon_id" value="">
          <span class="coupon-choice-name">No coupon</span>
        </label>
      </fieldset>
      {{/picker}}
      {{#no_picker}}
      <p class="field-hint">You hold no coupon this order could use. <a href="/coupons">See the coupon events</a>.</p>
      {{/no_picker}}
      <button type="submit" class="btn btn-primary btn-block">Place order</button>
      <p class="field-hint">Placing the order holds your items for a few minutes while you pay. Nothing is charged yet.</p>
    </form>
  </aside>
</div>
