{{%AUTOESCAPE context="HTML"}}
<div class="page-head coupons-head">
  <div>
    <p class="eyebrow">First come, first served</p>
    <h1>Coupon events</h1>
  </div>
  <p class="section-note">A limited number of coupons per event, one per person. Times are shown in your local time.{{#user}} <a href="/me/coupons">Your coupons</a>{{/user}}</p>
</div>

<ul class="coupon-grid" role="list">
  {{#items}}
  <li class="coupon-card{{#open}} is-open{{/open}}{{#upcoming}} is-upcoming{{/upcoming}}{{#sold_out}} is-sold-out{{/sold_out}}{{#ended}} is-ended{{/ended}}">
    <div class="coupon-stub">
      <p class="coupon-value">{{value_text}}</p>
    </div>
    <div class="coupon-body">
      <p class="coupon-top">
        {{#open}}<span class="badge badge-live">Open</span>{{/open}}
        {{#upcoming}}<span class="badge badge-upcoming">Starts soon</span>{{/upcoming}}
        {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
        {{#ended}}<span class="badge badge-neutral">Ended</span>{{/ended}}
        {{#vendor}}<span class="card-cat">{{name}}</span>{{/vendor}}
      </p>
      <h2 class="coupon-name"><a class="stretched" href="/coupons/{{id}}">{{name}}</a></h2>
      {{#upcoming}}
      <p class="countdown" data-starts-at="{{starts_at}}" data-live-text="Open now">Starts soon</p>
      <p class="coupon-when">Opens <time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></p>
      {{/upcoming}}
      {{#open}}<p class="coupon-when">Until <time datetime="{{ends_at}}" data-utc="{{ends_at}}">{{ends_at}}</time></p>{{/open}}
      {{#sold_out}}<p class="coupon-when">Every coupon has been claimed.</p>{{/sold_out}}
      {{#ended}}<p class="coupon-when">Ended <time datetime="{{ends_at}}" data-utc="{{ends_at}}">{{ends_at}}</time></p>{{/ended}}
      <div class="coupon-stock">
        <p class="coupon-count"><strong>{{remaining}}</strong> / {{total_quantity}} left</p>
        <progress class="coupon-meter" max="{{total_quantity}}" value="{{remaining}}" aria-label="Coupons left">{{remaining}} of {{total_quantity}}</progress>
      </div>
    </div>
  </li>
  {{/items}}
</ul>
{{#no_items}}
<div class="empty">
  <h2>No coupon events right now</h2>
  <p>New coupon drops appear here as soon as they are scheduled. Meanwhile, there is plenty to browse.</p>
  <p><a class="btn" href="/products">Browse products</a></p>
</div>
{{/no_items}}
