{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <h1>Products</h1>
  <p class="result-count" role="status"><strong>{{total}}</strong> products</p>
</div>

<div class="catalog-layout">
  <details class="filters" open data-collapse-narrow>
    <summary>Filters</summary>
    <form class="filter-form" method="get" action="/products" aria-label="Filter products" data-strip-empty>
      <div class="field">
        <label for="f-q">Search</label>
        <input id="f-q" type="search" name="q" value="{{q}}" maxlength="100" placeholder="Product name" autocomplete="off">
      </div>
      <div class="field">
        <label for="f-category">Category</label>
        <select id="f-category" name="category">
          <option value="">All categories</option>
          {{#categories}}
          <option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}} ({{count}})</option>
          {{/categories}}
        </select>
      </div>
      <fieldset class="field price-range">
        <legend>Price (&#8361;)</legend>
        <div class="range-inputs">
          <label class="sr-only" for="f-min">Minimum price</label>
          <input id="f-min" type="number" name="min_price" value="{{min_price}}" min="0" step="1" inputmode="numeric" placeholder="Min">
          <span aria-hidden="true">&ndash;</span>
          <label class="sr-only" for="f-max">Maximum price</label>
          <input id="f-max" type="number" name="max_price" value="{{max_price}}" min="0" step="1" inputmode="numeric" placeholder="Max">
        </div>
      </fieldset>
      <div class="field field-check">
        <input id="f-stock" type="checkbox" name="in_stock" value="true"{{#in_stock}} checked{{/in_stock}}>
        <label for="f-stock">In stock only</label>
      </div>
      <div class="field">
        <label for="f-sort">Sort by</label>
        <select id="f-sort" name="sort">
          {{#sorts}}
          <option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>
          {{/sorts}}
        </select>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">Apply filters</button>
        <a class="btn btn-ghost" href="/products">Reset</a>
      </div>
    </form>
  </details>

  <section class="results" aria-label="Results">
    <ul class="card-grid" role="list">
      {{#items}}
      <li class="card{{#sold_out}} is-sold-out{{/sold_out}}">
        <div class="thumb" aria-hidden="true">{{#pic}}<img src="{{card}}" alt="" width="640" height="360" loading="lazy">{{/pic}}{{#no_pic}}<span>{{name}}</span>{{/no_pic}}</div>
        <div class="card-body">
          <span class="card-cat">{{category}}</span>
          <h2 class="card-title"><a class="stretched" href="/products/{{id}}">{{name}}</a></h2>
          <p class="price">{{price:x-won}}</p>
          {{#upcoming}}<p class="countdown countdown-sm" data-starts-at="{{sale_starts_at}}">Sale opens <time datetime="{{sale_starts_at}}" data-utc="{{sale_starts_at}}">{{sale_starts_at}}</time></p>{{/upcoming}}
          <p class="card-meta">
            {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
            {{#upcoming}}<span class="badge badge-upcoming">Upcoming</span>{{/upcoming}}
            {{#no_sold_out}}<span class="stock">{{stock_remaining}} left</span>{{/no_sold_out}}
            <span class="likes" title="Likes"><span aria-hidden="true">&#9829;</span> {{likes}}<span class="sr-only"> likes</span></span>
          </p>
        </div>
      </li>
      {{/items}}
    </ul>
    {{#no_items}}
    <div class="empty">
      <h2>No products match</h2>
      <p>Try a broader search, another category, or a wider price range.</p>
      <p><a class="btn" href="/products">Clear all filters</a></p>
    </div>
    {{/no_items}}
    {{#pager}}
    <nav class="pager" aria-label="Pages" data-pages="{{pages}}">
      <a class="btn pager-prev" href="{{prev}}" rel="prev"><span aria-hidden="true">&larr;</span> Previous</a>
      <span class="pager-pos">Page {{page}} of {{pages}}</span>
      <a class="btn pager-next" href="{{next}}" rel="next">Next <span aria-hidden="true">&rarr;</span></a>
    </nav>
    {{/pager}}
  </section>
</div>
