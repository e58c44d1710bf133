{{%AUTOESCAPE context="HTML"}}
<section class="hero">
  <div class="hero-text">
    <p class="eyebrow">First come, first served</p>
    <h1>Flash sales and coupon drops, fair to the second.</h1>
    <p class="lede">{{site}} runs limited-stock flash sales and limited-quantity coupon events. When a sale opens, orders are served in the order they arrive, and nothing is ever oversold or issued twice.</p>
    <p class="hero-actions">
      <a class="btn btn-primary" href="/products">Browse products</a>
      <a class="btn" href="/coupons">Coupon events</a>
    </p>
  </div>
  <ul class="promises" role="list">
    <li><strong>Served in order</strong><span>Whoever gets there first gets it. No bots-first back door.</span></li>
    <li><strong>Never oversold</strong><span>Every unit and coupon is counted once, even when thousands click at the same second.</span></li>
    <li><strong>Nothing lost</strong><span>A paid order always arrives; a failed payment puts the stock straight back.</span></li>
  </ul>
</section>

<section class="flash-band" aria-labelledby="flash-title">
  <div class="section-head">
    <h2 id="flash-title"><svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d="M13.5 2 4 14h6.5L9 22l10-12.5h-6.5z" fill="currentColor"/></svg> Flash sale</h2>
    <p class="section-note">Limited stock. Each sale opens at the time shown, in your local time.</p>
  </div>
  <ul class="flash-grid" role="list">
    {{#flash}}
    <li class="flash-card{{#sold_out}} is-sold-out{{/sold_out}}">
      <div class="flash-main">
        <div class="flash-top">
          {{#upcoming}}<span class="badge badge-upcoming">Upcoming</span>{{/upcoming}}
          {{#no_upcoming}}{{#no_sold_out}}<span class="badge badge-live">On sale now</span>{{/no_sold_out}}{{/no_upcoming}}
          {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
          <span class="card-cat">{{category}}</span>
        </div>
        <h3 class="flash-name"><a class="stretched" href="/products/{{id}}">{{name}}</a></h3>
        <p class="price">{{price:x-won}}</p>
      </div>
      <div class="flash-side">
        {{#upcoming}}
        <p class="countdown" data-starts-at="{{sale_starts_at}}">Starts soon</p>
        <p class="when">Opens <time datetime="{{sale_starts_at}}" data-utc="{{sale_starts_at}}">{{sale_starts_at}}</time></p>
        {{/upcoming}}
        {{#no_upcoming}}
        <p class="when">Opened <time datetime="{{sale_starts_at}}" data-utc="{{sale_starts_at}}">{{sale_starts_at}}</time></p>
        {{/no_upcoming}}
        <p class="stock-line"><span>{{#no_sold_out}}<strong>{{stock_remaining}}</strong> left{{/no_sold_out}}{{#sold_out}}All gone{{/sold_out}}</span><span class="likes" title="Likes"><span aria-hidden="true">&#9829;</span> {{likes}}<span class="sr-only"> likes</span></span></p>
      </div>
    </li>
    {{/flash}}
  </ul>
  {{#no_flash}}
  <p class="empty-inline">No flash sales are scheduled right now. Check back soon, or browse everything below.</p>
  {{/no_flash}}
</section>

<section class="catalog" aria-labelledby="all-title">
  <div class="section-head">
    <h2 id="all-title">More products</h2>
    <a class="section-link" href="/products">See all products <span aria-hidden="true">&rarr;</span></a>
  </div>
  <ul class="card-grid" role="list">
    {{#products}}
    <li class="card{{#sold_out}} is-sold-out{{/sold_out}}">
      <div class="thumb" aria-hidden="true">{{#pic}}<img src="{{card}}" alt="" width="640" height="360" loading="lazy">{{/pic}}{{#no_pic}}<span>{{name}}</span>{{/no_pic}}</div>
      <div class="card-body">
        <span class="card-cat">{{category}}</span>
        <h3 class="card-title"><a class="stretched" href="/products/{{id}}">{{name}}</a></h3>
        <p class="price">{{price:x-won}}</p>
        <p class="card-meta">
          {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
          {{#no_sold_out}}<span class="stock">{{stock_remaining}} left</span>{{/no_sold_out}}
          <span class="likes" title="Likes"><span aria-hidden="true">&#9829;</span> {{likes}}<span class="sr-only"> likes</span></span>
        </p>
      </div>
    </li>
    {{/products}}
  </ul>
  {{#no_products}}
  <div class="empty">
    <h3>Nothing here yet</h3>
    <p>New products appear here as soon as they are listed.</p>
  </div>
  {{/no_products}}
</section>
