{{%AUTOESCAPE context="HTML"}}
{{#order}}
<nav class="breadcrumb" aria-label="Breadcrumb">
  <ol>
    <li><a href="/orders">Orders</a></li>
    <li><span aria-current="page">Order #{{id}}</span></li>
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

{{#order}}
<article class="order-detail" data-status="{{status}}">
  <div class="page-head order-head">
    <div>
      <h1>Order #{{id}}</h1>
      <p class="order-placed">Placed <time datetime="{{created_at}}" data-utc="{{created_at}}">{{created_at}}</time></p>
    </div>
    <p class="order-head-status"><span class="badge badge-lg status" data-status="{{status}}">{{status:x-status}}</span></p>
  </div>

  <div class="order-notes">
    <p class="order-note note-pending_payment">Waiting for your payment. Your items are held until <time datetime="{{expires_at}}" data-utc="{{expires_at}}">{{expires_at}}</time>.</p>
    <p class="order-note note-payment_failed">The payment did not go through, so the items went back on sale. To try again, add them to your cart once more.</p>
    <p class="order-note note-expired">The order was not paid in time, so the items went back on sale.</p>
    <p class="order-note note-cancelled">This order is cancelled. Any payment was refunded and the items went back on sale.</p>
    <p class="order-note note-return_requested">Your return is registered. We refund it when the parcel arrives back.</p>
    <p class="order-note note-returned">Returned and refunded.</p>
  </div>

  <div class="order-actions">
    {{#payable}}{{#order}}<a class="btn btn-primary" href="/orders/{{id}}/pay">Pay now</a>{{/order}}{{/payable}}
    {{#cancellable}}{{#order}}
    <form method="post" action="/orders/{{id}}/cancel" data-confirm="Cancel order #{{id}}? Any payment is refunded and the items go back on sale.">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn">Cancel order</button>
    </form>
    {{/order}}{{/cancellable}}
    {{#returnable}}{{#order}}
    <form method="post" action="/orders/{{id}}/return" data-confirm="Return order #{{id}}? We refund it when the parcel arrives back.">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn">Return order</button>
    </form>
    {{/order}}{{/returnable}}
  </div>

  <div class="order-layout">
    <div class="order-main">
      <section class="panel" aria-labelledby="order-items-title">
        <h2 id="order-items-title">Items</h2>
        <div class="table-scroll">
          <table class="data-table order-items">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" class="num">Qty</th>
                <th scope="col" class="num">Unit price</th>
              </tr>
            </thead>
            <tbody>
              {{#items}}
              <tr>
                <th scope="row"><a href="/products/{{product_id}}">{{name}}</a></th>
                <td class="num">{{quantity}}</td>
                <td class="num nowrap">{{unit_price:x-won}}</td>
              </tr>
              {{/items}}
            </tbody>
          </table>
        </div>
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
      </section>

      {{#shipment}}
      <section class="panel shipment" aria-labelledby="shipment-title">
        <h2 id="shipment-title">Shipment</h2>
        <dl class="ship-facts" data-status="{{status}}">
          <div>
            <dt>Status</dt>
            <dd><span class="badge status" data-status="{{status}}">{{status:x-status}}</span></dd>
          </div>
          <div data-at="{{tracking_number}}">
            <dt>Tracking number</dt>
            <dd class="tracking">{{tracking_number}}</dd>
          </div>
          <div class="ship-due" data-at="{{due_at}}">
            <dt><span class="due-preparing">Ships by</span><span class="due-shipping">Arrives by</span></dt>
            <dd><time datetime="{{due_at}}" data-utc="{{due_at}}">{{due_at}}</time></dd>
          </div>
          <div data-at="{{shipped_at}}">
            <dt>Shipped</dt>
            <dd><time datetime="{{shipped_at}}" data-utc="{{shipped_at}}">{{shipped_at}}</time></dd>
          </div>
          <div data-at="{{delivered_at}}">
            <dt>Delivered</dt>
            <dd><time datetime="{{delivered_at}}" data-utc="{{delivered_at}}">{{delivered_at}}</time></dd>
          </div>
        </dl>
      </section>
      {{/shipment}}
    </div>

    <section class="panel order-timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Progress</h2>
      <ol class="timeline">
        {{#history}}
        <li class="timeline-step" data-status="{{status}}">
          <span class="timeline-dot" aria-hidden="true"></span>
          <span class="status-label status" data-status="{{status}}">{{status:x-status}}</span>
          <time datetime="{{at}}" data-utc="{{at}}">{{at}}</time>
        </li>
        {{/history}}
      </ol>
    </section>
  </div>
</article>
{{/order}}
