{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Your account</p>
    <h1>Your coupons</h1>
  </div>
  <a class="section-link" href="/coupons">Coupon events <span aria-hidden="true">&rarr;</span></a>
</div>

<ul class="my-coupons" role="list">
  {{#items}}
  <li class="my-coupon is-{{status}}">
    <div class="coupon-stub">
      <p class="coupon-value">{{value_text}}</p>
    </div>
    <div class="my-coupon-body">
      <h2 class="coupon-name"><a href="/coupons/{{coupon_id}}">{{name}}</a></h2>
      <p class="my-coupon-vendor">{{vendor_name}}</p>
      <dl class="my-coupon-dates">
        <div>
          <dt>Claimed</dt>
          <dd><time datetime="{{claimed_at}}" data-utc="{{claimed_at}}">{{claimed_at}}</time></dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd><time datetime="{{ends_at}}" data-utc="{{ends_at}}">{{ends_at}}</time></dd>
        </div>
        <div class="my-coupon-used" data-used-at="{{used_at}}">
          <dt>Used</dt>
          <dd><time datetime="{{used_at}}" data-utc="{{used_at}}">{{used_at}}</time><span class="my-coupon-order" data-order="{{order_id}}"> on <a href="/orders/{{order_id}}">order #{{order_id}}</a></span></dd>
        </div>
      </dl>
    </div>
    <p class="my-coupon-status"><span class="badge badge-coupon-{{status}}">{{status}}</span></p>
  </li>
  {{/items}}
</ul>
{{#no_items}}
<div class="empty">
  <h2>No coupons yet</h2>
  <p>Coupons you claim in a coupon event land here, ready for your next order.</p>
  <p><a class="btn btn-primary" href="/coupons">See coupon events</a></p>
</div>
{{/no_items}}
