{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Your account</p>
    <h1>Your likes</h1>
  </div>
  <a class="section-link" href="/products">Browse products <span aria-hidden="true">&rarr;</span></a>
</div>

<ul class="card-grid likes-grid" role="list">
  {{#items}}
  <li class="card liked-card" data-stock="{{stock_remaining}}">
    <div class="thumb" aria-hidden="true"><span>{{name}}</span></div>
    <div class="card-body">
      <span class="card-cat">{{category}}</span>
      <h2 class="card-title"><a class="stretched" href="/products/{{id}}">{{name}}</a></h2>
      <p class="price">{{price:x-won}}</p>
      <p class="card-meta">
        <span class="stock stock-left">{{stock_remaining}} left</span>
        <span class="badge badge-soldout stock-none">Sold out</span>
        <span class="likes" title="Likes"><span aria-hidden="true">&#9829;</span> {{likes}}<span class="sr-only"> likes</span></span>
      </p>
      <p class="liked-at">Liked <time datetime="{{liked_at}}" data-utc="{{liked_at}}">{{liked_at}}</time></p>
      <form class="unlike-form" method="post" action="/products/{{id}}/like">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="unlike" value="1">
        <input type="hidden" name="next" value="/me/likes">
        <button type="submit" class="btn btn-ghost btn-sm"><span aria-hidden="true">&#9829;</span> Unlike<span class="sr-only"> {{name}}</span></button>
      </form>
    </div>
  </li>
  {{/items}}
</ul>
{{#no_items}}
<div class="empty">
  <h2>No likes yet</h2>
  <p>Tap &ldquo;&#9825; Like&rdquo; on a product to keep it here, so you can find it again when its sale opens.</p>
  <p><a class="btn btn-primary" href="/products">Browse products</a></p>
</div>
{{/no_items}}
