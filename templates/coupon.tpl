{{%AUTOESCAPE context="HTML"}}
{{#coupon}}
<nav class="breadcrumb" aria-label="Breadcrumb">
  <ol>
    <li><a href="/coupons">Coupon events</a></li>
    <li><span aria-current="page">{{name}}</span></li>
  </ol>
</nav>

<article class="coupon-detail{{#open}} is-open{{/open}}{{#upcoming}} is-upcoming{{/upcoming}}{{#sold_out}} is-sold-out{{/sold_out}}{{#ended}} is-ended{{/ended}}">
  <div class="coupon-ticket">
    <p class="coupon-ticket-value">{{value_text}}</p>
    <p class="coupon-ticket-vendor">{{#vendor}}{{name}}{{/vendor}}</p>
  </div>

  <div class="coupon-info">
    <p class="product-badges">
      {{#open}}<span class="badge badge-live">Open</span>{{/open}}
      {{#upcoming}}<span class="badge badge-upcoming">Starts soon</span>{{/upcoming}}
      {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
      {{#ended}}<span class="badge badge-neutral">Ended</span>{{/ended}}
      <span class="card-cat">One per person</span>
    </p>
    <h1 class="product-name">{{name}}</h1>
    <p class="vendor">Offered by <strong>{{#vendor}}{{name}}{{/vendor}}</strong></p>

    <dl class="facts coupon-facts">
      <div>
        <dt>Left</dt>
        <dd class="stock-line"><strong id="coupon-remaining" data-coupon-id="{{id}}"{{#ended}} data-final{{/ended}}>{{remaining}}</strong> / {{total_quantity}}</dd>
        <dd><progress id="coupon-meter" class="coupon-meter" max="{{total_quantity}}" value="{{remaining}}" aria-label="Coupons left">{{remaining}} of {{total_quantity}}</progress></dd>
      </div>
      <div>
        <dt>Opens</dt>
        <dd><time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></dd>
      </div>
      <div>
        <dt>Ends</dt>
        <dd><time datetime="{{ends_at}}" data-utc="{{ends_at}}">{{ends_at}}</time></dd>
      </div>
    </dl>

    {{#outcome}}
    <div class="alert alert-success claim-outcome" role="status" data-tone="{{tone}}" data-code="{{code}}">
      <p>{{message}}</p>
      <p><a href="/me/coupons">See your coupons</a></p>
    </div>
    <div class="alert alert-error claim-outcome" role="alert" data-tone="{{tone}}" data-code="{{code}}">
      <p>{{message}}</p>
    </div>
    {{/outcome}}

    <div class="claim-box">
      {{#upcoming}}
      <p class="claim-box-title">Claiming opens <time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></p>
      <p class="countdown countdown-lg" data-starts-at="{{starts_at}}" data-live-text="Open now">Starts soon</p>
      {{/upcoming}}

      {{#user}}{{#coupon}}
      {{#open}}
      {{#no_held}}
      <form class="claim-form" method="post" action="/coupons/{{id}}/claim">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="btn btn-primary btn-claim" data-needs-coupon>Claim coupon</button>
      </form>
      {{/no_held}}
      {{/open}}
      {{#held}}
      <button type="button" class="btn btn-primary btn-claim" disabled>Claimed</button>
      <p class="claim-note">This coupon is yours.</p>
      {{/held}}
      {{#upcoming}}
      <form class="claim-form" method="post" action="/coupons/{{id}}/claim">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="btn btn-primary btn-claim" disabled data-opens-at="{{starts_at}}" data-needs-coupon><span>Opens at <time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></span></button>
      </form>
      {{/upcoming}}
      {{/coupon}}{{/user}}

      {{#no_user}}{{#coupon}}
      {{#open}}
      <a class="btn btn-primary btn-claim" href="/login?next=/coupons/{{id}}">Log in to claim</a>
      <p class="claim-note">Coupons go to people with an account, first come, first served.</p>
      {{/open}}
      {{#upcoming}}
      <button type="button" class="btn btn-primary btn-claim" disabled><span>Opens at <time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></span></button>
      <p class="claim-note"><a href="/login?next=/coupons/{{id}}">Log in now</a> so you are ready the moment it opens.</p>
      {{/upcoming}}
      {{/coupon}}{{/no_user}}

      {{#sold_out}}
      <p class="claim-closed">Sold out. Every coupon of this event went to someone who got here first.</p>
      <p><a class="btn" href="/coupons">See other coupon events</a></p>
      {{/sold_out}}
      {{#ended}}
      <p class="claim-closed">This coupon event has ended.</p>
      <p><a class="btn" href="/coupons">See other coupon events</a></p>
      {{/ended}}

      {{#user}}<p class="claim-note claim-mine"><a href="/me/coupons">Your coupons</a></p>{{/user}}
    </div>
  </div>
</article>
{{/coupon}}
