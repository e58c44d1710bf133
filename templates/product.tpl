{{%AUTOESCAPE context="HTML"}}
{{#product}}
<nav class="breadcrumb" aria-label="Breadcrumb">
  <ol>
    <li><a href="/products">Products</a></li>
    <li><a href="/products?category={{category}}">{{category}}</a></li>
    <li><span aria-current="page">{{name}}</span></li>
  </ol>
</nav>

<article class="product{{#sold_out}} is-sold-out{{/sold_out}}">
  <div class="product-media" aria-hidden="true">
    <div class="thumb thumb-lg">{{#pic}}<img src="{{large}}" alt="">{{/pic}}{{#no_pic}}<span>{{name}}</span>{{/no_pic}}</div>
  </div>

  <div class="product-info">
    <p class="product-badges">
      {{#upcoming}}<span class="badge badge-upcoming">Upcoming</span>{{/upcoming}}
      {{#no_upcoming}}{{#no_sold_out}}<span class="badge badge-live" data-sale="{{sale_starts_at}}">Flash sale on now</span>{{/no_sold_out}}{{/no_upcoming}}
      {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
      <span class="card-cat">{{category}}</span>
    </p>
    <h1 class="product-name">{{name}}</h1>
    <p class="vendor">Sold by <strong>{{vendor_name}}</strong></p>
    <p class="price price-lg">{{price:x-won}}</p>

    {{#upcoming}}
    <div class="sale-box" role="group" aria-label="Flash sale">
      <p class="sale-box-title">Flash sale opens <time datetime="{{sale_starts_at}}" data-utc="{{sale_starts_at}}">{{sale_starts_at}}</time></p>
      <p class="countdown countdown-lg" data-starts-at="{{sale_starts_at}}">Starts soon</p>
      <p class="sale-box-note">You can add it to your cart now; checkout opens when the sale starts.</p>
    </div>
    {{/upcoming}}

    <dl class="facts">
      <div>
        <dt>Stock</dt>
        <dd class="stock-line"><strong id="stock" data-product-id="{{id}}" aria-live="polite">{{stock_remaining}}</strong> left</dd>
      </div>
      <div>
        <dt>Likes</dt>
        <dd><span aria-hidden="true">&#9829;</span> {{likes}}</dd>
      </div>
      <div class="fact-limit" data-limit="{{per_user_limit}}">
        <dt>Limit</dt>
        <dd>{{per_user_limit}} per customer</dd>
      </div>
    </dl>

    {{#sold_out}}
    <div class="buy-box">
      <p class="sold-out-note">This product is sold out. Every unit went to someone who got here first.</p>
      <p><a class="btn" href="/products">Find something else</a></p>
    </div>
    {{/sold_out}}
    {{#no_sold_out}}
    {{#user}}{{#product}}
    <form class="buy-box" method="post" action="/cart/items/{{id}}">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="qty">
        <label for="qty">Quantity</label>
        <input id="qty" type="number" name="quantity" value="1" min="1" max="{{per_user_limit}}" step="1" inputmode="numeric" required>
      </div>
      <div class="buy-actions">
        <button type="submit" class="btn btn-primary" data-needs-stock>Add to cart</button>
        {{#no_upcoming}}<button type="submit" class="btn btn-dark" name="buy_now" value="true" data-needs-stock>Buy now</button>{{/no_upcoming}}
      </div>
    </form>
    {{/product}}{{/user}}
    {{#no_user}}{{#product}}
    <div class="buy-box">
      <p><a class="btn btn-primary" href="/login?next=/products/{{id}}">Log in to buy</a></p>
      <p class="sold-out-note">You need an account to add to your cart, buy or like.</p>
    </div>
    {{/product}}{{/no_user}}
    {{/no_sold_out}}

    {{#user}}{{#product}}
    <form class="like-form" method="post" action="/products/{{id}}/like">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="next" value="/products/{{id}}">
      <button type="submit" class="btn btn-ghost btn-sm"><span aria-hidden="true">&#9825;</span> Like</button>
    </form>
    {{/product}}{{/user}}
  </div>
</article>

<section class="product-description" aria-labelledby="desc-title">
  <h2 id="desc-title">About this product</h2>
  <div class="prose">{{description:pre_escape}}</div>
  {{#no_description}}<p class="muted">The vendor has not written a description yet.</p>{{/no_description}}
</section>
{{/product}}
